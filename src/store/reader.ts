import { and, eq, sql } from "drizzle-orm";
import type { Labels } from "../snapshot/types.ts";
import { bucketize, capacityOf, type RowValues, type StoredRow, storedRows } from "./buckets.ts";
import type { Db } from "./db.ts";
import type { HistoryFilter, HistoryQuery, SeriesResult } from "./query.ts";
import { reachingRange } from "./row-sql.ts";
import { samples, series } from "./schema.ts";
import { OrgState } from "./state.ts";

const p = sql.placeholder;

/** One row of the rows statement as values: start, end, last, capacity, min, max, area, covered, atCapacity. */

/** Reads series and their rows; every statement goes through an index (series by org and kind, rows by series and start). */
export class HistoryReader {
  private readonly rows;
  private readonly seriesOf;
  private readonly state: OrgState;

  constructor(
    db: Db,
    private readonly orgName: string,
  ) {
    this.state = new OrgState(db, orgName);
    this.seriesOf = db
      .select({ id: series.id, key: series.key, labels: series.labels })
      .from(series)
      .where(and(eq(series.orgName, p("org")), eq(series.kind, p("kind"))))
      .orderBy(series.labels)
      .prepare();
    // The one row that began at or before `from` (it may reach into the range) and every row that begins inside it.
    this.rows = db
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
      .where(reachingRange(samples, p("id"), p("from"), p("to")))
      .orderBy(samples.start)
      .prepare();
  }

  /** The series of a kind that pass the filter, ordered by labels. */
  series(q: Pick<HistoryQuery, "kind" | "filter">): { id: number; labels: Labels }[] {
    const out: { id: number; labels: Labels }[] = [];
    for (const s of this.seriesOf.all({ org: this.orgName, kind: q.kind })) {
      const labels = JSON.parse(s.labels) as Labels;
      if (matches(labels, q.filter)) out.push({ id: s.id, labels });
    }
    return out;
  }

  /** The org's last recorded refresh: where open rows end. Read once per answer, so all its series agree. */
  observedUntil(): number | undefined {
    return this.state.get("observed_until");
  }

  /** One series' points over [from, to), or undefined when it has none there. */
  read(s: { id: number; labels: Labels }, q: HistoryQuery, until: number | undefined): SeriesResult | undefined {
    const rows = this.rowsOf(s.id, q.from, q.to, until);
    const points = bucketize(rows, q.from, q.to, q.step);
    return points.length > 0 ? { kind: q.kind, labels: s.labels, capacity: capacityOf(rows, q.from, q.to), points } : undefined;
  }

  /** One series' rows reaching into [from, to), in time order; an open row ends at `until`. */
  rowsOf(id: number, from: number, to: number, until: number | undefined): StoredRow[] {
    // Arrays in the select's column order, turned into rows here: drizzle's per-column mapping
    // (identity for these columns) cost more than the statement on a year's report (BENCHMARKS.md (e)).
    return storedRows(this.rows.values({ id, from, to }) as RowValues[], until);
  }
}

/** Whether a series' labels pass a query's filter (every label the filter names has that value). */
export function matches(labels: Labels, filter: HistoryFilter): boolean {
  for (const [name, want] of Object.entries(filter)) if (want !== undefined && labels[name] !== want) return false;
  return true;
}
