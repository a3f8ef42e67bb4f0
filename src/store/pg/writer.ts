import { and, eq, isNull, sql } from "drizzle-orm";
import type { Snapshot } from "../../snapshot/types.ts";
import { encodeSnapshot, SNAPSHOT_FORMAT } from "../codec.ts";
import { observe } from "../observe.ts";
import { type ObservedValue, type OpenRun, planRecord, planRuns, type RunChanges } from "../runs.ts";
import type { PgDb, PgExec, PgTx } from "./db.ts";
import { getState, setState } from "./db.ts";
import { announceSnapshot, type WriteGuard } from "./fence.ts";
import { samples, series, snapshots } from "./schema.ts";

interface SeriesRef {
  id: number;
  /** Hash of the labels JSON the database holds: enough to notice a rename (as HistoryWriter keeps it). */
  labels: bigint;
}

const labelsHash = (json: string) => Bun.hash.wyhash(json);

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
    for (const r of rows) w.series.set(`${r.kind}\n${r.key}`, { id: r.id, labels: labelsHash(r.labels) });
    w.observedUntil = await getState(read, orgName, "observed_until");
    // An open row is its series' newest: one index lookup per series, not a scan of all history.
    const open = await read
      .select({ id: samples.seriesId, start: samples.start, last: samples.last, capacity: samples.capacity })
      .from(series)
      .innerJoin(
        samples,
        and(
          eq(samples.seriesId, series.id),
          eq(samples.start, sql`(SELECT max(s2.start) FROM samples s2 WHERE s2.series_id = ${series.id})`),
        ),
      )
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
      const observed: ObservedValue[] = [];
      for (const o of observe(s)) {
        const id = await this.seriesId(tx, o.kind, o.key, JSON.stringify(o.labels), seriesChanges);
        observed.push({ id, value: o.value, capacity: o.capacity ?? null });
      }
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

  private async seriesId(tx: PgTx, kind: string, key: string, labels: string, changes: Map<string, SeriesRef>): Promise<number> {
    const mapKey = `${kind}\n${key}`;
    const ref = changes.get(mapKey) ?? this.series.get(mapKey);
    const hash = labelsHash(labels);
    if (ref?.labels === hash) return ref.id;
    if (ref) await tx.update(series).set({ labels }).where(eq(series.id, ref.id));
    const id =
      ref?.id ?? (await tx.insert(series).values({ orgName: this.orgName, kind, key, labels }).returning({ id: series.id }))[0]!.id;
    changes.set(mapKey, { id, labels: hash });
    return id;
  }
}

const INSERT_CHUNK = 5_000;

/** The closes and opens of one snapshot: one statement each, whatever the number of series. */
async function writeRuns(tx: PgTx, runs: RunChanges): Promise<void> {
  if (runs.closes.length > 0) {
    await tx.execute(sql`UPDATE samples SET "end" = v."end"
      FROM json_to_recordset(${JSON.stringify(runs.closes)}::json) AS v(id integer, start bigint, "end" bigint)
      WHERE samples.series_id = v.id AND samples.start = v.start`);
  }
  // Chunks keep a statement's parameters (4 a row) under PostgreSQL's 65,535.
  for (let i = 0; i < runs.opens.length; i += INSERT_CHUNK) {
    const chunk = runs.opens.slice(i, i + INSERT_CHUNK);
    await tx.insert(samples).values(chunk.map((o) => ({ seriesId: o.id, start: o.start, last: o.last, capacity: o.capacity })));
  }
}
