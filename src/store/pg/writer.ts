import { and, eq, isNull, sql } from "drizzle-orm";
import type { Snapshot } from "../../snapshot/types.ts";
import { encodeSnapshot, SNAPSHOT_FORMAT } from "../codec.ts";
import { type Observation, observe } from "../observe.ts";
import { newestRow } from "../row-sql.ts";
import { labelsHash, type ObservedValue, type OpenRun, planRecord, planRuns, type RunChanges, type SeriesRef, seriesKey } from "../runs.ts";
import type { PgDb, PgExec, PgTx } from "./db.ts";
import { getState, setState } from "./db.ts";
import { announceSnapshot, type WriteGuard } from "./fence.ts";
import { samples, series, snapshots } from "./schema.ts";

/**
 * Appends snapshots to the history of one org in PostgreSQL, by the rules HistoryWriter (SQLite)
 * follows (planRecord, planRuns in src/store/runs.ts): an unchanged value writes only the org's
 * `observed_until`. One transaction per snapshot; memory changes only after the commit, so a failed
 * write leaves memory and database agreeing. Calls must not overlap (the store queues them).
 */
export class PgHistoryWriter {
  private readonly series = new Map<string, SeriesRef>();
  private open = new Map<number, OpenRun>();
  private observedUntil: number | undefined;
  private lastCollectedAt = Number.NEGATIVE_INFINITY;

  private constructor(
    private readonly db: PgDb,
    private readonly orgName: string,
    private readonly maxGapS: number,
    private readonly guard: WriteGuard,
  ) {}

  /**
   * A writer with the org's series and open rows loaded. `guard` runs first in each write's
   * transaction (the leader's fence: a rejection rolls the write back); `read` is where the state
   * is read from (a transaction that fenced off other writers, when taking over from another leader).
   */
  static async load(
    db: PgDb,
    orgName: string,
    maxGapS: number,
    guard: WriteGuard = async () => {},
    read: PgExec = db,
  ): Promise<PgHistoryWriter> {
    const w = new PgHistoryWriter(db, orgName, maxGapS, guard);
    const rows = await read
      .select({ id: series.id, kind: series.kind, key: series.key, labels: series.labels })
      .from(series)
      .where(eq(series.orgName, orgName));
    for (const r of rows) w.series.set(seriesKey(r), { id: r.id, labels: labelsHash(r.labels) });
    w.observedUntil = await getState(read, orgName, "observed_until");
    // An open row is its series' newest: one index lookup per series, not a scan of all history.
    const open = await read
      .select({ id: samples.seriesId, start: samples.start, last: samples.last, capacity: samples.capacity })
      .from(series)
      .innerJoin(samples, newestRow(samples, series.id))
      .where(and(eq(series.orgName, orgName), isNull(samples.end)));
    for (const r of open) w.open.set(r.id, { start: r.start, last: r.last, capacity: r.capacity });
    return w;
  }

  /** Persists the snapshot and extends the history; throws (with nothing written) when PostgreSQL fails. */
  async record(s: Snapshot): Promise<{ written: boolean; rewoundFrom?: number }> {
    // A refresh that fetched nothing re-serves an earlier snapshot: no new history (and its old
    // time is not the clock going back), but its up 0 and failures are stored and announced, so
    // replicas serve what the leader serves.
    if (s.refreshedAt !== undefined) {
      await this.db.transaction(async (tx) => {
        await this.guard(tx);
        await announceSnapshot(tx, this.orgName);
        await this.upsertSnapshot(tx, s);
      });
      return { written: true };
    }
    if (s.collectedAt === this.lastCollectedAt) return { written: false };
    const t = Math.floor(s.collectedAt / 1000);
    const plan = planRecord(t, this.observedUntil, this.open, this.maxGapS);
    const seriesChanges = new Map<string, SeriesRef>();
    const next = await this.db.transaction(async (tx) => {
      await this.guard(tx);
      // Delivered at commit: replicas serving this org read the new snapshot.
      await announceSnapshot(tx, this.orgName);
      await this.upsertSnapshot(tx, s);
      if (plan.rewound !== undefined) await this.rewind(tx, t);
      if (!plan.append) return plan.open;
      await setState(tx, this.orgName, "observed_until", t);
      const observed = await this.observed(tx, observe(s), seriesChanges);
      const runs = planRuns(observed, plan.open, t, plan.prev, this.maxGapS);
      await writeRuns(tx, runs);
      return runs.next;
    });
    for (const [k, v] of seriesChanges) this.series.set(k, v);
    this.open = next;
    if (plan.append) this.observedUntil = t;
    this.lastCollectedAt = s.collectedAt;
    return { written: true, rewoundFrom: plan.rewound };
  }

  /** The org's stored snapshot; its row's second is when it was refreshed (what followers compare), its body says when collected. */
  private async upsertSnapshot(tx: PgTx, s: Snapshot): Promise<void> {
    const at = Math.floor((s.refreshedAt ?? s.collectedAt) / 1000);
    await tx
      .insert(snapshots)
      .values({ orgName: this.orgName, collectedAt: at, format: SNAPSHOT_FORMAT, body: encodeSnapshot(s) })
      .onConflictDoUpdate({
        target: snapshots.orgName,
        set: { collectedAt: sql`excluded.collected_at`, format: sql`excluded.format`, body: sql`excluded.body` },
      });
  }

  /** Removes what was recorded at or after t and ends earlier rows by t. */
  private async rewind(tx: PgTx, t: number): Promise<void> {
    const ids = sql`(SELECT id FROM series WHERE org_name = ${this.orgName})`;
    await tx.execute(sql`DELETE FROM samples WHERE series_id IN ${ids} AND start >= ${t}`);
    await tx.execute(sql`UPDATE samples SET "end" = ${t} WHERE series_id IN ${ids} AND "end" > ${t}`);
  }

  /**
   * The observations with their series ids: new series inserted and renamed ones updated in one
   * statement each, whatever their number (a first write creates every series of the org at once).
   * `changes` receives the refs memory takes after the commit.
   */
  private async observed(tx: PgTx, observations: Observation[], changes: Map<string, SeriesRef>): Promise<ObservedValue[]> {
    const inserts = new Map<string, NewSeries>();
    const renames = new Map<string, SeriesRef & { json: string }>();
    for (const o of observations) {
      const mapKey = seriesKey(o);
      const ref = this.series.get(mapKey);
      const json = JSON.stringify(o.labels);
      const labels = labelsHash(json);
      // The same series twice in one snapshot: its last labels are kept.
      if (!ref) inserts.set(mapKey, { kind: o.kind, key: o.key, labels: json });
      else if (ref.labels !== labels || renames.has(mapKey)) renames.set(mapKey, { id: ref.id, labels, json });
    }
    await renameSeries(tx, [...renames.values()]);
    for (const [mapKey, r] of renames) changes.set(mapKey, { id: r.id, labels: r.labels });
    for (const r of await insertSeries(tx, this.orgName, [...inserts.values()])) {
      changes.set(seriesKey(r), { id: r.id, labels: labelsHash(inserts.get(seriesKey(r))!.labels) });
    }
    return observations.map((o) => ({
      id: (changes.get(seriesKey(o)) ?? this.series.get(seriesKey(o)))!.id,
      value: o.value,
      capacity: o.capacity ?? null,
    }));
  }
}

interface NewSeries {
  kind: string;
  key: string;
  labels: string;
}

async function renameSeries(tx: PgTx, renames: { id: number; json: string }[]): Promise<void> {
  if (renames.length === 0) return;
  const rows = JSON.stringify(renames.map((r) => ({ id: r.id, labels: r.json })));
  await tx.execute(sql`UPDATE series SET labels = v.labels
    FROM json_to_recordset(${rows}::json) AS v(id integer, labels text) WHERE series.id = v.id`);
}

async function insertSeries(tx: PgTx, orgName: string, rows: NewSeries[]): Promise<{ id: number; kind: string; key: string }[]> {
  if (rows.length === 0) return [];
  return tx.execute<{ id: number; kind: string; key: string }>(sql`INSERT INTO series (org_name, kind, key, labels)
    SELECT ${orgName}, v.kind, v.key, v.labels FROM json_to_recordset(${JSON.stringify(rows)}::json) AS v(kind text, key text, labels text)
    RETURNING id, kind, key`);
}

/**
 * The closes and opens of one snapshot: one statement each, whatever the number of series. Rows
 * travel as one JSON parameter, not one parameter per value: a first write opens a row for every
 * series, and building and sending tens of thousands of parameters leaves the driver's code hot
 * and its garbage behind (BENCHMARKS.md (k)). Values are finite (observe), so JSON holds them exactly.
 */
async function writeRuns(tx: PgTx, runs: RunChanges): Promise<void> {
  if (runs.closes.length > 0) {
    await tx.execute(sql`UPDATE samples SET "end" = v."end"
      FROM json_to_recordset(${JSON.stringify(runs.closes)}::json) AS v(id integer, start bigint, "end" bigint)
      WHERE samples.series_id = v.id AND samples.start = v.start`);
  }
  if (runs.opens.length > 0) {
    await tx.execute(sql`INSERT INTO samples (series_id, start, last, capacity)
      SELECT v.id, v.start, v.last, v.capacity
      FROM json_to_recordset(${JSON.stringify(runs.opens)}::json) AS v(id integer, start bigint, last double precision, capacity double precision)`);
  }
}
