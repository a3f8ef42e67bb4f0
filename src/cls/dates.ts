/*
 * The one parser of the dates CLS sends (startDate, endDate, overageStartTime). NVIDIA does not
 * document their format, so every shape an API of its kind is seen to use is read, and nothing
 * else: Date.parse is never used, since it guesses ("1" and "March 7" are dates to it).
 *
 *   2025-12-31                              a calendar date: midnight UTC
 *   2025-12-31T23:59:59[.sss][Z|±hh[:mm]]   a date-time, "T" or one space between; without a zone: UTC
 *   1767225599 / "1767225599"               epoch seconds: below EPOCH_MS_FROM
 *   1767225599000 / "1767225599000"         epoch milliseconds: from EPOCH_MS_FROM on
 *
 * A date before 1990 or after 9999 is bad: no license of NVIDIA's service is that old, so it is a
 * wrong reading ("1" would be one second past 1970). 0 (number or string) reads as "not set", not
 * as 1970: CLS fills unset numbers with 0; so does "" (or blanks), as it fills unset strings (an
 * unset emsParentProductKeyId is ""). Anything else present is a bad date: the caller counts it
 * and reads the field as absent.
 */

/**
 * Epoch values from here on are milliseconds, below it seconds: 1e11 seconds is the year 5138, and
 * 1e11 milliseconds is March 1973, before any CLS entitlement; so no date a license carries falls
 * on the wrong side.
 */
export const EPOCH_MS_FROM = 1e11;
/** 1990-01-01T00:00:00Z in seconds: the earliest date believed. */
export const EARLIEST_DATE_SECONDS = 631_152_000;
/** 9999-12-31T23:59:59Z in seconds: the last instant an ISO date can write, the bound of every shape. */
export const LATEST_DATE_SECONDS = 253_402_300_799;

/** Unix seconds; undefined for "not set"; "bad" for a value present in no known shape. */
export type DateReading = number | undefined | "bad";

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;
const EPOCH = /^\d{1,16}(?:\.\d+)?$/;

export function readDate(input: unknown): DateReading {
  if (input === undefined || input === null) return undefined;
  if (typeof input === "number") return fromEpoch(input);
  if (typeof input !== "string") return "bad";
  const s = input.trim();
  if (s === "") return undefined;
  if (EPOCH.test(s)) return fromEpoch(Number(s));
  const m = ISO.exec(s);
  return m ? fromIso(m) : "bad";
}

function fromEpoch(n: number): DateReading {
  if (n === 0) return undefined;
  if (!Number.isFinite(n) || n < 0) return "bad";
  const seconds = n >= EPOCH_MS_FROM ? n / 1000 : n;
  return inRange(seconds);
}

function fromIso(m: RegExpExecArray): DateReading {
  const [year, month, day, hour = 0, minute = 0, second = 0] = m.slice(1, 7).map((p) => (p === undefined ? undefined : Number(p)));
  // Checked before Date.UTC, which reads the years 0-99 as 1900-1999.
  if (year! < 1990 || month! < 1 || month! > 12 || hour > 23 || minute > 59 || second > 59) return "bad";
  const ms = Date.UTC(year!, month! - 1, day!, hour, minute, second);
  // Date.UTC rolls 2025-02-30 over into March: a day the month does not have is a bad date.
  if (new Date(ms).getUTCDate() !== day) return "bad";
  const fraction = m[7] ? Number(`0.${m[7]}`) : 0;
  const offset = offsetSeconds(m[8]);
  if (offset === undefined) return "bad";
  return inRange(ms / 1000 + fraction - offset);
}

const inRange = (seconds: number): DateReading => (seconds >= EARLIEST_DATE_SECONDS && seconds <= LATEST_DATE_SECONDS ? seconds : "bad");

/** A zone as seconds east of UTC: "Z" or none is 0; "+02", "+0200", "+02:00". */
function offsetSeconds(zone: string | undefined): number | undefined {
  if (zone === undefined || zone.toUpperCase() === "Z") return 0;
  const hours = Number(zone.slice(1, 3));
  const minutes = zone.length > 3 ? Number(zone.slice(-2)) : 0;
  if (hours > 23 || minutes > 59) return undefined;
  return (zone[0] === "-" ? -1 : 1) * (hours * 3600 + minutes * 60);
}
