import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { EARLIEST_DATE_SECONDS, EPOCH_MS_FROM, readDate } from "../../src/cls/dates.ts";
import { type InvalidKind, tolerantFields } from "../../src/cls/schemas.ts";

/** One value through the field type, with what it counted. */
function through(pick: (f: ReturnType<typeof tolerantFields>) => z.ZodType, value: unknown) {
  const counted: InvalidKind[] = [];
  const f = tolerantFields((why) => counted.push(why), 100);
  const out = z.object({ v: pick(f) }).parse({ v: value }) as { v: unknown };
  return { value: out.v, counted };
}
const date = (value: unknown) => through((f) => f.date, value);

const END_2025 = Date.UTC(2025, 11, 31) / 1000;
const LAST_SECOND_2025 = Date.UTC(2025, 11, 31, 23, 59, 59) / 1000;

describe("f.date reads every documented shape as unix seconds", () => {
  test.each<[string, unknown, number]>([
    ["ISO date: midnight UTC", "2025-12-31", END_2025],
    ["date-time with Z", "2025-12-31T23:59:59Z", LAST_SECOND_2025],
    ["date-time, lower-case z", "2025-12-31t23:59:59z", LAST_SECOND_2025],
    ["date-time without a zone: UTC", "2025-12-31T23:59:59", LAST_SECOND_2025],
    ["date-time without seconds", "2025-12-31T23:59", LAST_SECOND_2025 - 59],
    ["a space instead of T", "2025-12-31 23:59:59", LAST_SECOND_2025],
    ["milliseconds", "2025-12-31T23:59:59.250Z", LAST_SECOND_2025 + 0.25],
    ["nanoseconds", "2025-12-31T23:59:59.123456789Z", LAST_SECOND_2025 + 0.123456789],
    ["offset +02:00", "2026-01-01T01:59:59+02:00", LAST_SECOND_2025],
    ["offset -0500", "2025-12-31T18:59:59-0500", LAST_SECOND_2025],
    ["offset +01", "2026-01-01T00:59:59+01", LAST_SECOND_2025],
    ["epoch seconds", LAST_SECOND_2025, LAST_SECOND_2025],
    ["epoch seconds as a string", String(LAST_SECOND_2025), LAST_SECOND_2025],
    ["epoch milliseconds", LAST_SECOND_2025 * 1000, LAST_SECOND_2025],
    ["epoch milliseconds as a string", String(LAST_SECOND_2025 * 1000), LAST_SECOND_2025],
    ["fractional epoch seconds", LAST_SECOND_2025 + 0.5, LAST_SECOND_2025 + 0.5],
    ["surrounding blanks", " 2025-12-31 ", END_2025],
    ["leap day", "2024-02-29", Date.UTC(2024, 1, 29) / 1000],
  ])("%s", (_, input, want) => {
    const r = date(input);
    expect(r.counted).toEqual([]);
    expect(r.value as number).toBeCloseTo(want, 6);
  });

  test("the earliest date believed is 1990-01-01", () => {
    expect(readDate("1990-01-01")).toBe(EARLIEST_DATE_SECONDS);
    expect(readDate(EARLIEST_DATE_SECONDS)).toBe(EARLIEST_DATE_SECONDS);
  });

  test("the seconds/milliseconds boundary: below EPOCH_MS_FROM seconds, from it milliseconds", () => {
    expect(readDate(EPOCH_MS_FROM - 1)).toBe(EPOCH_MS_FROM - 1);
    // Read as milliseconds it is March 1973: before the earliest date believed.
    expect(readDate(EPOCH_MS_FROM)).toBe("bad");
    expect(readDate(EPOCH_MS_FROM * 20)).toBe(EPOCH_MS_FROM / 50);
  });

  test.each<[string, unknown]>([
    ["absent", undefined],
    ["JSON null", null],
    ["0: CLS's unset number", 0],
    ['"0"', "0"],
    ['"": CLS\'s unset string', ""],
    ["blank", "   "],
  ])("%s reads as absent, uncounted", (_, input) => {
    expect(date(input)).toEqual({ value: undefined, counted: [] });
  });
});

describe("an unknown shape is a bad date: counted, read as absent, never a guess", () => {
  test.each<[string, unknown]>([
    ["day/month/year", "31/12/2025"],
    ["month/day/year", "12/31/2025"],
    ["a word", "tomorrow"],
    ["what Date.parse takes for a year", "1"],
    ["one second past 1970", 1],
    ["before 1990 in epoch seconds", 631_151_999],
    ["what Date.parse takes for a date", "March 7"],
    ["RFC 2822", "Wed, 31 Dec 2025 23:59:59 GMT"],
    ["1e20", 1e20],
    ["1e20 as a string", "1e20"],
    ["past the year 9999 in milliseconds", 253_402_300_800_000],
    ["negative", -1],
    ["negative string", "-1767225599"],
    ["NaN", Number.NaN],
    ["NaN string", "NaN"],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["Infinity string", "Infinity"],
    ["an object", { seconds: 1 }],
    ["an array", ["2025-12-31"]],
    ["a boolean", true],
    ["month 13", "2025-13-01"],
    ["February 30", "2025-02-30"],
    ["February 29 of a common year", "2025-02-29"],
    ["hour 24", "2025-12-31T24:00:00Z"],
    ["minute 60", "2025-12-31T23:60:00Z"],
    ["second 60", "2025-12-31T23:59:60Z"],
    ["offset hour 24", "2025-12-31T23:59:59+24:00"],
    ["a two-digit year", "25-12-31"],
    ["before 1990", "1989-12-31"],
    ["before 1990 once its zone is applied", "1990-01-01T00:30:00+01:00"],
    ["a year Date.UTC would read as 19xx", "0099-01-01"],
    ["text after the date", "2025-12-31 or so"],
    ["a week date", "2025-W01-1"],
  ])("%s", (_, input) => {
    expect(date(input)).toEqual({ value: undefined, counted: ["bad_date"] });
  });
});

describe("f.flag and f.measure", () => {
  test.each<[unknown, boolean | undefined, InvalidKind[]]>([
    [true, true, []],
    [false, false, []],
    ["true", true, []],
    ["FALSE", false, []],
    [null, undefined, []],
    [undefined, undefined, []],
    ["yes", undefined, ["wrong_type"]],
    [1, undefined, ["wrong_type"]],
    ["", undefined, ["wrong_type"]],
  ])("flag %p → %p", (input, want, counted) => {
    expect(through((f) => f.flag, input)).toEqual({ value: want, counted });
  });

  test.each<[unknown, number | undefined, InvalidKind[]]>([
    [0, 0, []],
    [12.5, 12.5, []],
    ["30", 30, []],
    [2_592_000_000, 2_592_000_000, []],
    [-1, undefined, ["out_of_range"]],
    [Number.POSITIVE_INFINITY, undefined, ["out_of_range"]],
    ["P30D", undefined, ["wrong_type"]],
    [{}, undefined, ["wrong_type"]],
  ])("measure %p → %p", (input, want, counted) => {
    expect(through((f) => f.measure, input)).toEqual({ value: want, counted });
  });
});
