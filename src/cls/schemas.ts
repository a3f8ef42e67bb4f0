import { z } from "zod";
import { readDate } from "./dates.ts";
import type { ObjectKind } from "./fields.ts";

/*
 * The shared pieces every row's schema is made of; each row in src/cls/endpoints/ owns its item
 * schema. Only the fields the exporter reads: unknown keys are stripped; an optional field of the
 * wrong type becomes undefined instead of failing the response, because CLS's shapes are only partly
 * documented. Ids are required: an item without one cannot be joined and is counted as invalid.
 * Every string is bounded by CLS_MAX_STRING_LENGTH and every quantity by MAX_QUANTITY (see tolerantFields).
 */

/** How a list sits in its answer: the array's key, and the key of a gzip+base64 copy that replaces it when non-empty. */
export interface Envelope {
  list: string;
  compressed?: string;
  /** The answer as a kind of object: the top-level names NVIDIA documents for it. */
  answer: ObjectKind;
}

/** Why a field (or its item) could not be read as CLS sent it; the refresh log names them per endpoint. */
export type InvalidKind = "wrong_type" | "too_long" | "out_of_range" | "bad_date";

/**
 * The largest quantity (seats, leases) believed: no org holds a billion seats of one feature, so a
 * larger value is corruption, not data. It also keeps sums exact: CLS_MAX_ITEMS (200,000 by default)
 * items of at most 1e9 each add up far below 2^53.
 */
export const MAX_QUANTITY = 1e9;

/** What a truncated string ends with, so a reader sees it was cut. */
export const TRUNCATION_MARKER = "…";

/** `s` cut to at most `max` characters, the last being the marker; a surrogate pair is never split. */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = Math.max(0, max - TRUNCATION_MARKER.length);
  const last = s.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return s.slice(0, end) + TRUNCATION_MARKER;
}

const NUMERIC = /^-?\d+(\.\d+)?$/;

/**
 * The field types item schemas are built from; `onUnreadable` hears of every present value they
 * drop or cut, with why. A client builds one set around its own tally of the item being parsed,
 * with its ClsLimits' maxStringLength.
 */
export function tolerantFields(onUnreadable: (why: InvalidKind) => void, maxStringLength: number) {
  /**
   * catch() runs for a value that is present and wrong (absent optional fields pass before it), and
   * for JSON null, which zod's optional() refuses: null is CLS saying "none", so it is not counted.
   */
  const absent = (ctx: { input: unknown }) => {
    if (ctx.input !== null) onUnreadable("wrong_type");
    return undefined;
  };
  /**
   * Plain transforms rather than unions with catch(): the same verdicts with less garbage per field,
   * which a 17,000-series refresh makes ~100,000 times (BENCHMARKS.md (c)). Absent and JSON null read
   * as absent uncounted; any other value of the wrong type is counted.
   */
  const unreadable = (input: unknown): undefined => {
    if (input !== undefined && input !== null) onUnreadable("wrong_type");
    return undefined;
  };
  /** Over the limit counts as too long: its item is dropped, since a cut id could equal another one. */
  const fits = (s: string) => {
    if (s.length <= maxStringLength) return true;
    onUnreadable("too_long");
    return false;
  };
  /** Required: an item without a readable id cannot be joined and is dropped. */
  const id = z.union([z.string().min(1).refine(fits), z.number().transform(String)]);
  /**
   * An optional id of another item (or an id shown as a label): absent or of the wrong type reads as
   * absent, like `text`; too long drops the item, like `id`.
   */
  const ref = z
    .unknown()
    .transform((input, ctx): string | undefined => {
      if (typeof input === "number") return String(input);
      if (typeof input !== "string") {
        if (input !== undefined && input !== null) onUnreadable("wrong_type");
        return undefined;
      }
      if (fits(input)) return input;
      ctx.addIssue({ code: "custom", message: `longer than ${maxStringLength} characters` });
      return z.NEVER;
    })
    .optional();
  /** Names and descriptions: cut to the limit with a marker (the item is kept and counted). */
  const text = z
    .unknown()
    .transform((input): string | undefined => {
      const s = typeof input === "string" ? input : typeof input === "number" ? String(input) : undefined;
      if (s === undefined) return unreadable(input);
      if (s.length <= maxStringLength) return s;
      onUnreadable("too_long");
      return truncate(s, maxStringLength);
    })
    .optional();
  /** A number or numeric string in [0, max]; another value is counted (wrong_type, or out_of_range) and read as absent. */
  const numberUpTo = (max: number) =>
    z
      .unknown()
      .transform((input): number | undefined => {
        const n = typeof input === "number" ? input : typeof input === "string" && NUMERIC.test(input) ? Number(input) : undefined;
        if (n === undefined) return unreadable(input);
        if (n >= 0 && n <= max) return n;
        onUnreadable("out_of_range");
        return undefined;
      })
      .optional();
  /**
   * Quantities arrive as numbers; numeric strings are accepted. Anything else, and a number out of
   * [0, MAX_QUANTITY] (negative, non-finite, absurd), is "not reported": read as absent and counted.
   */
  const quantity = numberUpTo(MAX_QUANTITY);
  /**
   * A number whose unit or scale NVIDIA does not document (overagePercent, overageDuration): any
   * finite non-negative number up to 2^53, numeric strings accepted, shown as sent.
   */
  const measure = numberUpTo(Number.MAX_SAFE_INTEGER);
  /** A date in any shape src/cls/dates.ts reads, as unix seconds; another shape is a bad date, read as absent. */
  const date = z
    .unknown()
    .transform((input): number | undefined => {
      const d = readDate(input);
      if (d !== "bad") return d;
      onUnreadable("bad_date");
      return undefined;
    })
    .optional();
  /** A boolean, also as the strings "true"/"false" (any case); anything else is of the wrong type. */
  const flag = z
    .unknown()
    .transform((input): boolean | undefined => {
      if (typeof input === "boolean") return input;
      const s = typeof input === "string" ? input.toLowerCase() : undefined;
      return s === "true" ? true : s === "false" ? false : unreadable(input);
    })
    .optional();
  /** A nested list (not copied), parsed item by item later so one bad item does not sink its siblings. */
  const list = z
    .unknown()
    .transform((input): unknown[] | undefined => (Array.isArray(input) ? input : unreadable(input)))
    .optional();
  return { id, ref, absent, text, quantity, measure, date, flag, list };
}
export type Fields = ReturnType<typeof tolerantFields>;

/** The schema of one list element, built once per client from that client's fields, and the kind of object it reads. */
export interface ItemSchema<T = unknown> {
  (f: Fields): z.ZodType<T>;
  kind: ObjectKind;
}
/** An item schema for objects of `kind`. */
export const itemSchema = <T>(kind: ObjectKind, build: (f: Fields) => z.ZodType<T>): ItemSchema<T> => Object.assign(build, { kind });
/** What an item schema outputs. */
export type Infer<S extends ItemSchema> = z.output<ReturnType<S>>;
/** Parses a list item by item: valid items are returned, the others counted as invalid for the endpoint. */
export type ItemParser = <T>(schema: ItemSchema<T>, items: readonly unknown[] | undefined) => T[];

/** The envelope reads no strings, so no string limit applies to it. */
const quiet = tolerantFields(() => {}, Number.POSITIVE_INFINITY);

/** It only steers the page walk: a member of the wrong type means "no totals", not an unreadable item. */
const paginationInfo = z
  .object({ pageNumber: quiet.quantity, pageSize: quiet.quantity, totalPages: quiet.quantity, totalElements: quiet.quantity })
  .optional()
  .catch(quiet.absent);
export type PaginationInfo = z.infer<typeof paginationInfo>;

/** An answer's envelope: its list must be an array (or, where a compressed copy may stand in, absent), or the page is undecodable. */
export function envelopeSchema(e: Envelope) {
  // Checked, not copied: z.array would copy a page of any length before CLS_MAX_ITEMS could count it.
  const list = z.custom<unknown[]>((v) => Array.isArray(v), { error: "expected array" });
  return z.object({
    [e.list]: e.compressed ? list.optional() : list,
    ...(e.compressed ? { [e.compressed]: z.string().optional() } : {}),
    paginationInfo,
  });
}
export type EnvelopeSchema = ReturnType<typeof envelopeSchema>;
