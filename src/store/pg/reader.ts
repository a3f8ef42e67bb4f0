import { and, eq, sql } from "drizzle-orm";
import type { Labels } from "../../snapshot/types.ts";
import { bucketize, capacityOf, type RowValues, type StoredRow, storedRows } from "../buckets.ts";
import type { HistoryQuery, SeriesResult } from "../query.ts";
import { matches } from "../reader.ts";
import { reachingRange } from "../row-sql.ts";
import { getState, type PgDb } from "./db.ts";
import { samples, series } from "./schema.ts";

/** A series as a read sees it. */
export interface MatchedSeries {
  id: number;
  labels: Labels;
}

/** Reads one org's series and rows from PostgreSQL, with the statements and answers of HistoryReader (SQLite). */
export class PgHistoryReader {
  private readonly rows;

  constructor(
    private readonly db: PgDb,
    private readonly orgName: string,
  ) {
    this.rows = rowsStatement(db);
  }

  /**
   * The series of a kind that pass the filter, ordered by labels byte by byte (COLLATE "C"), as
   * SQLite orders text, whatever collation the database was created with.
   */
  async series(q: Pick<HistoryQuery, "kind" | "filter">): Promise<MatchedSeries[]> {
    const rows = await this.db
      .select({ id: series.id, labels: series.labels })
      .from(series)
      .where(and(eq(series.orgName, this.orgName), eq(series.kind, q.kind)))
      .orderBy(sql`${series.labels} COLLATE "C"`);
    const out: MatchedSeries[] = [];
    for (const s of rows) {
      const labels = JSON.parse(s.labels) as Labels;
      if (matches(labels, q.filter)) out.push({ id: s.id, labels });
    }
    return out;
  }

  /** The org's last recorded refresh: where open rows end. Read once per answer, so all its series agree. */
  observedUntil(): Promise<number | undefined> {
    return getState(this.db, this.orgName, "observed_until");
  }

  /** Hours before this are rolled up, or undefined when none are. */
  rolledUntil(): Promise<number | undefined> {
    return getState(this.db, this.orgName, "rolled_until");
  }

  /** One series' points over [from, to), or undefined when it has none there. */
  async read(s: MatchedSeries, q: HistoryQuery, until: number | undefined): Promise<SeriesResult | undefined> {
    const rows = await this.rowsOf(s.id, q.from, q.to, until);
    const points = bucketize(rows, q.from, q.to, q.step);
    return points.length > 0 ? { kind: q.kind, labels: s.labels, capacity: capacityOf(rows, q.from, q.to), points } : undefined;
  }

  /** One series' rows reaching into [from, to), in time order: the one row that began at or before `from` and every row that begins inside; an open row ends at `until`. */
  async rowsOf(id: number, from: number, to: number, until: number | undefined): Promise<StoredRow[]> {
    const [r] = await this.rows.execute({ id, from, to });
    return storedRows(JSON.parse(r?.json ?? "[]") as RowValues[], until);
  }
}

/**
 * One series' rows as ONE JSON text, `[[start, end, last, …], …]` in `start` order, built by the
 * server. Each value is written by its type's output function, the same text postgres.js parsed
 * column by column before (float8 in its shortest exact form: PostgreSQL 12+ with the default
 * extra_float_digits; times are bigint far below 2^53), so JSON.parse gives the same numbers. Values
 * are finite (src/store/observe.ts records no other): a NaN would make the text invalid JSON and the
 * read fail, never answer a wrong number. Why: postgres.js converts every column of every row in
 * JS, and that, not the server, was most of a year's /report (BENCHMARKS.md (e) on PostgreSQL).
 */
function rowsStatement(db: PgDb) {
  const p = sql.placeholder;
  const cols = [
    samples.start,
    samples.end,
    samples.last,
    samples.capacity,
    samples.min,
    samples.max,
    samples.area,
    samples.covered,
    samples.atCapacity,
  ];
  const row = sql`'[' || ${sql.join(
    cols.map((c) => sql`coalesce(${c}::text, 'null')`),
    sql` || ',' || `,
  )} || ']'`;
  return db
    .select({ json: sql<string>`'[' || coalesce(string_agg(${row}, ',' ORDER BY ${samples.start}), '') || ']'` })
    .from(samples)
    .where(reachingRange(samples, p("id"), p("from"), p("to")))
    .prepare("pg_rows_of");
}
