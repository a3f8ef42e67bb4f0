import { and, eq, sql } from "drizzle-orm";
import type { Labels } from "../../snapshot/types.ts";
import { bucketize, capacityOf, type StoredRow } from "../buckets.ts";
import type { HistoryQuery, SeriesResult } from "../query.ts";
import { matches } from "../reader.ts";
import { getState, type PgDb } from "./db.ts";
import { samples, series } from "./schema.ts";

/** A series as a read sees it. */
export interface MatchedSeries {
  id: number;
  labels: Labels;
}

/** Reads one org's series and rows from PostgreSQL, with the statements and answers of HistoryReader (SQLite). */
export class PgHistoryReader {
  constructor(
    private readonly db: PgDb,
    private readonly orgName: string,
  ) {}

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
    const rows = await this.db
      .select({
        start: samples.start,
        end: samples.end,
        last: samples.last,
        capacity: samples.capacity,
        min: samples.min,
        max: samples.max,
        area: samples.area,
        covered: samples.covered,
        atCapacity: samples.atCapacity,
      })
      .from(samples)
      .where(
        and(
          eq(samples.seriesId, id),
          sql`${samples.start} >= coalesce((SELECT max(s2.start) FROM samples s2 WHERE s2.series_id = ${id} AND s2.start <= ${from}), ${from})`,
          sql`${samples.start} <= ${to}`,
        ),
      )
      .orderBy(samples.start);
    return rows.map((r) => ({ ...r, end: r.end ?? until ?? r.start, open: r.end === null }));
  }
}
