import { and, eq, isNull, sql } from "drizzle-orm";
import type { Snapshot } from "../snapshot/types.ts";
import { encodeSnapshot, SNAPSHOT_FORMAT } from "./codec.ts";
import type { Db } from "./db.ts";
import { observe } from "./observe.ts";
import { newestRow } from "./row-sql.ts";
import { labelsHash, type OpenRun, planRecord, planRuns, type RecordPlan, type SeriesRef, seriesKey } from "./runs.ts";
import { samples, series, snapshots } from "./schema.ts";
import { OrgState } from "./state.ts";

const p = sql.placeholder;

function prepare(db: Db) {
  return {
    snapshot: db
      .insert(snapshots)
      .values({ orgName: p("org"), collectedAt: p("at"), format: SNAPSHOT_FORMAT, body: p("body") })
      .onConflictDoUpdate({
        target: snapshots.orgName,
        set: { collectedAt: sql`excluded.collected_at`, format: sql`excluded.format`, body: sql`excluded.body` },
      })
      .prepare(),
    newSeries: db
      .insert(series)
      .values({ orgName: p("org"), kind: p("kind"), key: p("key"), labels: p("labels") })
      .returning({ id: series.id })
      .prepare(),
    relabel: db
      .update(series)
      .set({ labels: sql`${p("labels")}` })
      .where(eq(series.id, p("id")))
      .prepare(),
    close: db
      .update(samples)
      .set({ end: sql`${p("end")}` })
      .where(and(eq(samples.seriesId, p("id")), eq(samples.start, p("start"))))
      .prepare(),
    open: db
      .insert(samples)
      .values({ seriesId: p("id"), start: p("t"), last: p("value"), capacity: p("capacity") })
      .prepare(),
  };
}

/**
 * Appends snapshots to the history of one org. An unchanged value writes nothing but the org's
 * `observed_until`, so the file grows with changes, not with the refresh rate. One transaction per
 * snapshot; memory changes only after the commit, so a failed write leaves memory and file agreeing.
 * Invariant: the open runs are exactly the series observed by the last recorded refresh.
 */
export class HistoryWriter {
  private readonly series = new Map<string, SeriesRef>();
  private open = new Map<number, OpenRun>();
  private observedUntil: number | undefined;
  private lastCollectedAt = Number.NEGATIVE_INFINITY;
  private readonly stmts: ReturnType<typeof prepare>;
  private readonly state: OrgState;

  /** `maxGapS`: refreshes further apart than this leave a visible gap instead of joining their rows. */
  constructor(
    private readonly db: Db,
    private readonly orgName: string,
    private readonly maxGapS: number,
  ) {
    this.stmts = prepare(db);
    this.state = new OrgState(db, orgName);
    this.load();
  }

  private load(): void {
    const rows = this.db
      .select({ id: series.id, kind: series.kind, key: series.key, labels: series.labels })
      .from(series)
      .where(eq(series.orgName, this.orgName))
      .all();
    for (const r of rows) this.series.set(seriesKey(r), { id: r.id, labels: labelsHash(r.labels) });
    this.observedUntil = this.state.get("observed_until");
    // An open row is its series' newest: one primary-key lookup per series, not a scan of all history.
    const open = this.db
      .select({ id: samples.seriesId, start: samples.start, last: samples.last, capacity: samples.capacity })
      .from(series)
      .innerJoin(samples, newestRow(samples, series.id))
      .where(and(eq(series.orgName, this.orgName), isNull(samples.end)))
      .all();
    for (const r of open) this.open.set(r.id, { start: r.start, last: r.last, capacity: r.capacity });
  }

  /**
   * Persists the snapshot and extends the history; throws (with nothing written) when SQLite fails.
   * Returns whether anything was written, and the history discarded when the clock went back.
   */
  record(s: Snapshot): { written: boolean; rewoundFrom?: number } {
    // A refresh that fetched nothing re-serves an earlier snapshot: nothing new to record (and its
    // old time is not the clock going back).
    if (s.refreshedAt !== undefined || s.collectedAt === this.lastCollectedAt) return { written: false };
    const t = Math.floor(s.collectedAt / 1000);
    const plan = planRecord(t, this.observedUntil, this.open, this.maxGapS);
    const seriesChanges = new Map<string, SeriesRef>();
    let next = plan.open;
    this.db.transaction(() => {
      this.stmts.snapshot.run({ org: this.orgName, at: t, body: encodeSnapshot(s) });
      if (plan.rewound !== undefined) this.rewind(t);
      if (plan.append) next = this.appendRuns(s, t, plan, seriesChanges);
    });
    for (const [k, v] of seriesChanges) this.series.set(k, v);
    this.open = next;
    if (plan.append) this.observedUntil = t;
    this.lastCollectedAt = s.collectedAt;
    return { written: true, rewoundFrom: plan.rewound };
  }

  /** Removes what was recorded at or after t and ends earlier rows by t. */
  private rewind(t: number): void {
    const ids = sql`(SELECT id FROM series WHERE org_name = ${this.orgName})`;
    this.db.run(sql`DELETE FROM samples WHERE series_id IN ${ids} AND start >= ${t}`);
    this.db.run(sql`UPDATE samples SET end = ${t} WHERE series_id IN ${ids} AND end > ${t}`);
  }

  /** Inside the transaction: writes the rows planRuns decides for time t; returns the open rows after it. */
  private appendRuns(s: Snapshot, t: number, plan: RecordPlan, seriesChanges: Map<string, SeriesRef>): Map<number, OpenRun> {
    this.state.set("observed_until", t);
    const observed = observe(s).map((o) => ({
      id: this.seriesId(o.kind, o.key, JSON.stringify(o.labels), seriesChanges),
      value: o.value,
      capacity: o.capacity ?? null,
    }));
    const runs = planRuns(observed, plan.open, t, plan.prev, this.maxGapS);
    for (const c of runs.closes) this.stmts.close.run(c);
    for (const o of runs.opens) this.stmts.open.run({ id: o.id, t: o.start, value: o.last, capacity: o.capacity });
    return runs.next;
  }

  private seriesId(kind: string, key: string, labels: string, changes: Map<string, SeriesRef>): number {
    const mapKey = seriesKey({ kind, key });
    const ref = changes.get(mapKey) ?? this.series.get(mapKey);
    const hash = labelsHash(labels);
    if (ref?.labels === hash) return ref.id;
    if (ref) this.stmts.relabel.run({ id: ref.id, labels });
    const id = ref?.id ?? this.stmts.newSeries.get({ org: this.orgName, kind, key, labels })!.id;
    changes.set(mapKey, { id, labels: hash });
    return id;
  }
}
