import { realTimers, type Timers } from "../../clock.ts";
import { StoreError, type StoreReason } from "../../errors.ts";
import type { SnapshotSource } from "../../snapshot/replica.ts";
import type { Snapshot } from "../../snapshot/types.ts";
import type { HistoryBackend } from "../index.ts";
import { QUERY_OUTCOMES, type QueryOutcome, type QueryStats } from "../queries.ts";
import type { Answer, HistoryQuery } from "../query.ts";
import type { Report, ReportQuery } from "../report.ts";
import { type HistoryStats, MAINTENANCE_EVERY_MS } from "../store.ts";
import { Election, type Role } from "./election.ts";
import { pgStoreError, redactedUrl } from "./errors.ts";
import { leaderFence } from "./fence.ts";
import { PgHistoryStore, type PgStoreOptions } from "./store.ts";

export interface PgBackendOptions extends Omit<PgStoreOptions, "guard"> {
  timers?: Timers;
  /** CACHE_TTL: a replica cut off from the database this long refreshes CLS itself (see Election). */
  detachAfterMs: number;
}

/**
 * PgHistoryStore as the exporter uses a history store (HistoryBackend), with the org's election
 * (election.ts): only the leader writes, each write fenced by its hold of the lock (fence.ts), and
 * reads what the previous leader wrote before its first write. Every exporter of the org answers
 * /history and /report from the shared tables. Writes run one at a time off the caller's path; the
 * latest snapshot offered wins over one still waiting. A database that cannot be reached is tried
 * again every election round; a schema newer than this exporter's is never written or read (logged
 * once), and such an exporter never leads.
 */
export class PgHistoryBackend implements HistoryBackend {
  private store: PgHistoryStore | undefined;
  /** The schema is newer than this exporter's: it neither leads nor reads the history. */
  private newer = false;
  private failure: StoreError | undefined;
  private readonly openErrors = new Map<StoreReason, number>();
  /** Queries that failed while the database was not open; the store counts the others. */
  private unopenedFailures = 0;
  private pending: Snapshot | undefined;
  private writing: Promise<void> | undefined;
  /** Leadership was (re)gained: what the previous leader wrote is read before the next write. */
  private takeOver = true;
  private maintenanceTimer: unknown;
  private closed = false;
  private readonly timers: Timers;
  private readonly election: Election;

  private constructor(private readonly opts: PgBackendOptions) {
    this.timers = opts.timers ?? realTimers;
    this.election = new Election({
      ...opts,
      mayLead: () => this.mayLead(),
      onRole: (role, was) => this.roleChanged(role, was),
    });
  }

  /** Connects, migrates and takes part in the election once; never throws: a failure is logged and tried again. */
  static async open(opts: PgBackendOptions): Promise<PgHistoryBackend> {
    const backend = new PgHistoryBackend(opts);
    await backend.connect();
    await backend.election.start();
    return backend;
  }

  /** Where this exporter's snapshots come from: CLS as the leader, else the leader's (SnapshotSource). */
  get source(): SnapshotSource {
    return this.election;
  }

  role(): Role {
    return this.election.role();
  }

  get stats(): HistoryStats & QueryStats {
    const writeErrors = new Map(this.openErrors);
    for (const [reason, n] of this.store?.stats.writeErrors ?? []) writeErrors.set(reason, (writeErrors.get(reason) ?? 0) + n);
    const queries = new Map<QueryOutcome, number>(QUERY_OUTCOMES.map((o) => [o, this.store?.stats.queries.get(o) ?? 0]));
    queries.set("failed", (queries.get("failed") ?? 0) + this.unopenedFailures);
    const seriesRead = this.store?.stats.seriesRead ?? 0;
    return { writeErrors, lastWriteAt: this.store?.stats.lastWriteAt, databaseBytes: undefined, queries, seriesRead };
  }

  /** Whether this exporter writes the org's history (leads, on a schema it knows). */
  writes(): boolean {
    return this.store !== undefined && !this.newer && this.election.leads();
  }

  unavailable(): StoreError | undefined {
    return this.failure ?? this.store?.failure();
  }

  restore(): Promise<Snapshot | undefined> {
    return this.store?.restore() ?? Promise.resolve(undefined);
  }

  offer(s: Snapshot): void {
    if (this.closed || !this.writes()) return;
    this.pending = s;
    this.writing ??= Promise.resolve().then(() => this.drain());
  }

  /** Writes directly, after what is queued; false when not written (not the leader, or it failed). */
  async record(s: Snapshot): Promise<boolean> {
    await this.writing;
    return this.store !== undefined && (await this.prepareWrite()) && (await this.store.record(s));
  }

  query(q: HistoryQuery, signal?: AbortSignal): Promise<Answer> {
    return this.counted(() => this.readable().query(q, signal));
  }

  report(q: ReportQuery, current: Snapshot | undefined, signal?: AbortSignal): Promise<Report> {
    return this.counted(() => this.readable().report(q, current, signal));
  }

  /**
   * Nothing to give back: the server holds PostgreSQL's caches, and ending the pool's idle
   * connections (their buffers) measured no difference (BENCHMARKS.md (k)).
   */
  releaseMemory(): void {}

  startMaintenance(): void {
    const tick = async () => {
      if (this.closed) return;
      const store = this.writes() && (await this.prepareWrite()) ? this.store : undefined;
      const more = store ? await store.maintain(Math.floor(this.opts.now() / 1000)) : false;
      if (!this.closed) this.maintenanceTimer = this.timers.setTimeout(() => void tick(), more ? 0 : MAINTENANCE_EVERY_MS);
    };
    this.maintenanceTimer = this.timers.setTimeout(() => void tick(), 1_000);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timers.clearTimeout(this.maintenanceTimer);
    await this.writing;
    await this.store?.close();
    // After the last write: the next leader finds everything written.
    await this.election.close();
  }

  private async drain(): Promise<void> {
    for (let s = this.pending; s && !this.closed; s = this.pending) {
      this.pending = undefined;
      if (this.writes() && this.store && (await this.prepareWrite())) await this.store.record(s);
    }
    this.writing = undefined;
  }

  /** Before the first write of a leadership: reads what the previous leader wrote; false when that failed (tried again next time). */
  private async prepareWrite(): Promise<boolean> {
    if (!this.takeOver || !this.store) return this.writes();
    try {
      await this.store.reload();
      this.takeOver = false;
      this.reachable();
      return this.writes();
    } catch (err) {
      this.unreachable(pgStoreError(err, this.opts.url, "PostgreSQL history database: taking over the org's history"));
      return false;
    }
  }

  private roleChanged(role: Role, was: Role): void {
    if (role === "leader" || was !== "leader") return;
    // Another exporter may write from now on: nothing queued is written, and memory is re-read before leading again.
    this.pending = undefined;
    this.takeOver = true;
  }

  /** The election's question before each try for the lock: opens the store if it is not, on a schema this exporter knows. */
  private async mayLead(): Promise<boolean> {
    if (!this.store && !this.newer && !this.closed) await this.connect();
    return this.store !== undefined && !this.newer && !this.closed;
  }

  private async connect(): Promise<void> {
    try {
      const guard = leaderFence(this.opts.orgName, () => this.election.leaderPid());
      // Leading begins with reload() (prepareWrite): the store need not read the history before.
      this.store = await PgHistoryStore.open({ ...this.opts, guard, loadOnReload: true });
    } catch (err) {
      const e = pgStoreError(err, this.opts.url, "PostgreSQL history database: opening");
      if (e.reason === "newer_schema") this.refuseNewer(e);
      else this.unreachable(e);
      return;
    }
    this.reachable();
  }

  /** The failure that unreachable() recorded is over: logged once, cleared. */
  private reachable(): void {
    if (this.failure) this.opts.log.info("history database reachable again", { database: redactedUrl(this.opts.url) });
    this.failure = undefined;
  }

  /** Counted as a failed write and logged once per new cause; cleared once the database answers again. */
  private unreachable(e: StoreError): void {
    this.openErrors.set(e.reason, (this.openErrors.get(e.reason) ?? 0) + 1);
    if (this.failure?.reason !== e.reason) this.opts.log.error("history not recorded", { reason: e.reason, error: e.message });
    this.failure = e;
  }

  private refuseNewer(e: StoreError): void {
    this.newer = true;
    this.failure = e;
    this.opts.log.error(
      "history not written or read: the database's schema is newer than this exporter's; it follows the org's leader and never leads; upgrade the exporter",
      { error: e.message },
    );
  }

  private readable(): PgHistoryStore {
    if (!this.store) throw this.failure ?? new StoreError("error", "history database is not open");
    return this.store;
  }

  /** The store counts its queries by outcome (HistoryQueries); one without a store is counted here as failed. */
  private async counted<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (err) {
      if (!this.store) this.unopenedFailures++;
      throw err;
    }
  }
}
