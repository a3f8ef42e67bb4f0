import { realTimers, type Timers } from "../../clock.ts";
import { StoreError, type StoreReason } from "../../errors.ts";
import type { Snapshot } from "../../snapshot/types.ts";
import type { HistoryBackend } from "../index.ts";
import { QUERY_OUTCOMES, type QueryOutcome, type QueryStats } from "../queries.ts";
import type { Answer, HistoryQuery } from "../query.ts";
import type { Report, ReportQuery } from "../report.ts";
import { type HistoryStats, MAINTENANCE_EVERY_MS } from "../store.ts";
import { pgStoreError, redactedUrl } from "./errors.ts";
import { claimPgOwner, type OwnerLock } from "./owner.ts";
import { PgHistoryStore, type PgStoreOptions } from "./store.ts";

export interface PgBackendOptions extends PgStoreOptions {
  timers?: Timers;
}

/** Why this exporter does not write: another exporter holds the org's lock, or the schema is newer than this exporter's. */
type ReadOnlyCause = "other_writer" | "newer_schema";

/**
 * PgHistoryStore as the exporter uses a history store (HistoryBackend). Exactly one exporter writes
 * an org's history: the one holding its owner lock (owner.ts); another exporter of the same org
 * serves its own /metrics and reads the shared tables for /history and /report, and tries the lock
 * again at each refresh. Writes run one at a time off the caller's path; the latest snapshot offered
 * wins over one still waiting. A database that cannot be reached is tried again at the next refresh;
 * a schema newer than this exporter's is never written (logged once).
 */
export class PgHistoryBackend implements HistoryBackend {
  private store: PgHistoryStore | undefined;
  private owner: OwnerLock | undefined;
  private readOnly: ReadOnlyCause | undefined;
  private failure: StoreError | undefined;
  private readonly openErrors = new Map<StoreReason, number>();
  /** Queries that failed while the database was not open; the store counts the others. */
  private unopenedFailures = 0;
  private pending: Snapshot | undefined;
  private writing: Promise<void> | undefined;
  private maintenanceTimer: unknown;
  private closed = false;
  private readonly timers: Timers;

  private constructor(private readonly opts: PgBackendOptions) {
    this.timers = opts.timers ?? realTimers;
  }

  /** Connects, migrates and claims the org's lock; never throws: a failure is logged and tried again at the next write. */
  static async open(opts: PgBackendOptions): Promise<PgHistoryBackend> {
    const backend = new PgHistoryBackend(opts);
    await backend.connect();
    return backend;
  }

  get stats(): HistoryStats & QueryStats {
    const writeErrors = new Map(this.openErrors);
    for (const [reason, n] of this.store?.stats.writeErrors ?? []) writeErrors.set(reason, (writeErrors.get(reason) ?? 0) + n);
    const queries = new Map<QueryOutcome, number>(QUERY_OUTCOMES.map((o) => [o, this.store?.stats.queries.get(o) ?? 0]));
    queries.set("failed", (queries.get("failed") ?? 0) + this.unopenedFailures);
    const seriesRead = this.store?.stats.seriesRead ?? 0;
    return { writeErrors, lastWriteAt: this.store?.stats.lastWriteAt, databaseBytes: undefined, queries, seriesRead };
  }

  /** Whether this exporter writes the org's history (holds its lock, on a schema it knows). */
  writes(): boolean {
    return this.store !== undefined && this.readOnly === undefined && this.owner?.held() === true;
  }

  unavailable(): StoreError | undefined {
    return this.failure ?? this.store?.failure();
  }

  restore(): Promise<Snapshot | undefined> {
    return this.store?.restore() ?? Promise.resolve(undefined);
  }

  offer(s: Snapshot): void {
    if (this.closed || this.readOnly === "newer_schema") return;
    this.pending = s;
    this.writing ??= Promise.resolve().then(() => this.drain());
  }

  /** Writes directly, after what is queued (the demo's back-fill); false when not written. */
  async record(s: Snapshot): Promise<boolean> {
    await this.writing;
    return (await this.ensureWriter()) && this.store !== undefined && (await this.store.record(s));
  }

  query(q: HistoryQuery, signal?: AbortSignal): Promise<Answer> {
    return this.counted(() => this.readable().query(q, signal));
  }

  report(q: ReportQuery, current: Snapshot | undefined, signal?: AbortSignal): Promise<Report> {
    return this.counted(() => this.readable().report(q, current, signal));
  }

  /** Nothing to give back: the server holds PostgreSQL's caches. */
  releaseMemory(): void {}

  startMaintenance(): void {
    const tick = async () => {
      if (this.closed) return;
      const store = this.writes() ? this.store : undefined;
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
    // After the last write: the next owner finds everything written.
    await this.owner?.release().catch(() => {});
  }

  private async drain(): Promise<void> {
    for (let s = this.pending; s && !this.closed; s = this.pending) {
      this.pending = undefined;
      if ((await this.ensureWriter()) && this.store) await this.store.record(s);
    }
    this.writing = undefined;
  }

  /** Opens the store when it is not, and claims the lock when not held; true when this exporter may write. */
  private async ensureWriter(): Promise<boolean> {
    if (!this.store) await this.connect();
    if (this.store && this.readOnly !== "newer_schema" && !this.owner?.held()) await this.claim();
    return this.writes();
  }

  private async connect(): Promise<void> {
    try {
      this.store = await PgHistoryStore.open(this.opts);
    } catch (err) {
      const e = pgStoreError(err, this.opts.url, "PostgreSQL history database: opening");
      if (e.reason === "newer_schema") this.refuseNewer(e);
      else this.unreachable(e);
      return;
    }
    await this.claim();
  }

  /** Counted as a failed write and logged once per new cause; cleared once the database answers again. */
  private unreachable(e: StoreError): void {
    this.openErrors.set(e.reason, (this.openErrors.get(e.reason) ?? 0) + 1);
    if (this.failure?.reason !== e.reason) this.opts.log.error("history not recorded", { reason: e.reason, error: e.message });
    this.failure = e;
  }

  private refuseNewer(e: StoreError): void {
    this.readOnly = "newer_schema";
    this.failure = e;
    this.opts.log.error("history not written or read: the database's schema is newer than this exporter's; upgrade the exporter", {
      error: e.message,
    });
  }

  private async claim(): Promise<void> {
    await this.owner?.release().catch(() => {});
    this.owner = undefined;
    try {
      this.owner = await claimPgOwner(this.opts.url, this.opts.orgName);
    } catch (err) {
      this.unreachable(pgStoreError(err, this.opts.url, "PostgreSQL history database: claiming the org's writer lock"));
      return;
    }
    if (this.failure) this.opts.log.info("history database reachable again", { database: redactedUrl(this.opts.url) });
    this.failure = undefined;
    if (this.owner.held()) {
      if (this.readOnly === "other_writer") this.opts.log.info("this exporter now writes the org's history", { org: this.opts.orgName });
      this.readOnly = undefined;
      return;
    }
    await this.owner.release().catch(() => {});
    if (this.readOnly !== "other_writer")
      this.opts.log.warn("history is written by another exporter of this org; this one only reads it (replicas are not yet supported)", {
        org: this.opts.orgName,
        database: redactedUrl(this.opts.url),
      });
    this.readOnly = "other_writer";
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
