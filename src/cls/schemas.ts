import { z } from "zod";

/*
 * The shared pieces every row's schema is made of; each row in src/cls/endpoints/ owns its item
 * schema. Only the fields the exporter reads: unknown keys are stripped; an optional field of the
 * wrong type becomes undefined instead of failing the response, because CLS's shapes are only partly
 * documented. Ids are required: an item without one cannot be joined and is counted as invalid.
 */

/** How a list sits in its answer: the array's key, and the key of a gzip+base64 copy that replaces it when non-empty. */
export interface Envelope {
  list: string;
  compressed?: string;
}

const id = z.union([z.string().min(1), z.number().transform(String)]);

/**
 * The field types item schemas are built from; `onUnreadable` hears of every present value they
 * drop. A client builds one set around its own tally of the item being parsed.
 */
export function tolerantFields(onUnreadable: () => void) {
  /**
   * catch() runs for a value that is present and wrong (absent optional fields pass before it), and
   * for JSON null, which zod's optional() refuses: null is CLS saying "none", so it is not counted.
   */
  const absent = (ctx: { input: unknown }) => {
    if (ctx.input !== null) onUnreadable();
    return undefined;
  };
  const text = z
    .union([z.string(), z.number().transform(String)])
    .optional()
    .catch(absent);
  /** Quantities arrive as numbers; numeric strings are accepted, anything else is "not reported". */
  const quantity = z
    .union([
      z.number(),
      z
        .string()
        .regex(/^-?\d+(\.\d+)?$/)
        .transform(Number),
    ])
    .optional()
    .catch(absent);
  /** A nested list, parsed item by item later so one bad item does not sink its siblings. */
  const list = z.array(z.unknown()).optional().catch(absent);
  return { id, absent, text, quantity, list };
}
export type Fields = ReturnType<typeof tolerantFields>;

/** The schema of one list element, built once per client from that client's fields. */
export type ItemSchema<T = unknown> = (f: Fields) => z.ZodType<T>;
/** What an item schema outputs. */
export type Infer<S extends ItemSchema> = z.output<ReturnType<S>>;
/** Parses a list item by item: valid items are returned, the others counted as invalid for the endpoint. */
export type ItemParser = <T>(schema: ItemSchema<T>, items: readonly unknown[] | undefined) => T[];

const quiet = tolerantFields(() => {});

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
