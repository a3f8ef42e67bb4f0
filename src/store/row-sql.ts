import { type AnyColumn, and, eq, type SQL, sql } from "drizzle-orm";

/**
 * The conditions both engines' statements on `samples` share (SQLite's src/store/schema.ts and
 * PostgreSQL's src/store/pg/schema.ts name the same columns): written once, so the rows a read or a
 * writer's load sees are the same whatever the engine.
 */
interface SampleColumns {
  seriesId: AnyColumn;
  start: AnyColumn;
}

/**
 * One series' rows reaching into [from, to]: the one row that began at or before `from` (it gives
 * the range its first value) and every row that begins up to `to`.
 */
export function reachingRange(s: SampleColumns, id: unknown, from: unknown, to: unknown): SQL {
  return and(
    eq(s.seriesId, id),
    sql`${s.start} >= coalesce((SELECT max(s2.start) FROM samples s2 WHERE s2.series_id = ${id} AND s2.start <= ${from}), ${from})`,
    sql`${s.start} <= ${to}`,
  ) as SQL;
}

/** Joins a series to its newest row (an open row is its series' newest): one index lookup per series, not a scan of all history. */
export function newestRow(s: SampleColumns, seriesId: AnyColumn): SQL {
  return and(eq(s.seriesId, seriesId), eq(s.start, sql`(SELECT max(s2.start) FROM samples s2 WHERE s2.series_id = ${seriesId})`)) as SQL;
}
