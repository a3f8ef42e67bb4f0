import { z } from "zod";
import { parseDuration } from "../duration.ts";
import { DEMAND_SCOPES } from "../snapshot/labels.ts";

/**
 * What /history and /report queries share, so that both take the same times and answer the same
 * 400s: each parameter at most once and only known ones, the from/to grammar and the range's bounds,
 * the filter values, the choice of format.
 */
export interface BadQuery {
  parameter: string;
  message: string;
}

/** A parse's result that is a 400 (results are objects without a `parameter` field). */
export const isBad = <T extends object>(x: T | BadQuery): x is BadQuery => "parameter" in x;

/** Ten years (and a few days of leap years): the longest range a query may ask for. */
export const MAX_RANGE_S = 3660 * 86_400;
const LAST_SECOND = 253_402_300_799; // 9999-12-31T23:59:59Z

/** The query's parameters by name, or the first one unknown or given twice. */
export function readParameters(params: URLSearchParams, known: ReadonlySet<string>): { values: Record<string, string> } | BadQuery {
  const raw: Record<string, string> = {};
  for (const [name, value] of params) {
    if (!known.has(name)) return { parameter: name, message: `unknown parameter; known are ${[...known].join(", ")}` };
    if (name in raw) return { parameter: name, message: "given more than once" };
    raw[name] = value;
  }
  return { values: raw };
}

/** `now`, `-24h`, `now-7d`, unix seconds, or RFC 3339; unix seconds out, undefined when unreadable. */
export function parseTime(text: string, nowS: number): number | undefined {
  if (text === "now") return nowS;
  const relative = /^(?:now)?-(.+)$/.exec(text);
  if (relative) {
    const ms = parseDuration(relative[1]!);
    return ms === undefined ? undefined : nowS - Math.floor(ms / 1000);
  }
  if (/^\d{1,12}(\.\d+)?$/.test(text)) return Math.floor(Number(text));
  // An unencoded "+01:00" arrives as " 01:00"; RFC 3339 allows lower-case t and z.
  const iso = text.replace(/ (\d\d:\d\d)$/, "+$1").toUpperCase();
  if (!z.iso.datetime({ offset: true }).safeParse(iso).success) return undefined;
  return Math.floor(Date.parse(iso) / 1000);
}

/** The schema of `from` and `to`: a time of 1970–9999 in unix seconds. */
export const time = (nowS: number) =>
  z.string().transform((text, ctx) => {
    const t = parseTime(text, nowS);
    if (t === undefined)
      ctx.addIssue({
        code: "custom",
        message: `"${text}" is not a time: use RFC 3339 (2026-01-31T12:00:00Z), unix seconds, now, or a relative time such as -24h or now-7d`,
      });
    else if (t < 0 || t > LAST_SECOND) ctx.addIssue({ code: "custom", message: `"${text}" is outside 1970–9999` });
    return t ?? 0;
  });

/** A filter's label value. */
export const filterValue = z.string().min(1, "must not be empty").max(256, "must be at most 256 characters");

/** The format parameter's schema; without it, `Accept: text/csv` selects CSV. */
export const format = z.enum(["json", "csv"], { error: "must be json or csv" });

export function formatOf(given: "json" | "csv" | undefined, accept: string | undefined): "json" | "csv" {
  return given ?? (accept && /\btext\/csv\b/i.test(accept) ? "csv" : "json");
}

/** A failed parse as the 400 naming its first parameter. */
export function badQueryOf(error: z.ZodError): BadQuery {
  const issue = error.issues[0]!;
  return { parameter: String(issue.path[0] ?? "query"), message: issue.message };
}

/**
 * [from, to) from the parsed times: `to` defaults to now, `from` to `defaultS` before `to`; from must
 * come before to, at most MAX_RANGE_S apart.
 */
export function rangeOf(
  from: number | undefined,
  to: number | undefined,
  nowS: number,
  defaultS: number,
): { from: number; to: number } | BadQuery {
  const end = to ?? nowS;
  const start = from ?? end - defaultS;
  if (start >= end) return { parameter: "from", message: "must be before to" };
  if (end - start > MAX_RANGE_S) return { parameter: "from", message: "the range is longer than 10 years" };
  return { from: start, to: end };
}

/** `scope` of the demand rows (/history?kind=feature_in_use, /report). */
export const scope = z.enum(DEMAND_SCOPES, { error: `must be one of ${DEMAND_SCOPES.join(", ")}` });
