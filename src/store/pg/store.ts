import { eq } from "drizzle-orm";
import { StoreError, type StoreReason } from "../../errors.ts";
import type { Snapshot } from "../../snapshot/types.ts";
import { decodeSnapshot } from "../codec.ts";
import { busyReporter, HistoryQueries, QUERIES_WAITING_PER_LANE, type QueryStats } from "../queries.ts";
import type { Answer, HistoryQuery } from "../query.ts";
import type { Report, ReportQuery } from "../report.ts";
import type { HistoryOptions } from "../store.ts";
import { connect, type PgDb } from "./db.ts";
import { pgStoreError } from "./errors.ts";
import { NotLeader, takeOverWrites, type WriteGuard } from "./fence.ts";
import { describeSchemaState, migratePostgres } from "./migrate.ts";
import { pgQueryEngine } from "./queries.ts";
import { PgHistoryReader } from "./reader.ts";
import { PgRetention } from "./rollup.ts";
import { snapshots } from "./schema.ts";
import { PgHistoryWriter } from "./writer.ts";

export interface PgStoreOptions extends HistoryOptions {
  /** postgres:// or postgresql:// URL (a secret: its password never appears in a log line or error). */
  url: string;
  /**
   * Runs first in every transaction that writes (the leader's fence, src/store/pg/fence.ts): when
   * it throws NotLeader the write is rolled back, not counted as a failure, and record() resolves false.
   */
  guard?: WriteGuard;
  /** HISTORY_MAX_WAITING: /history queries that may wait per lane; QUERIES_WAITING_PER_LANE when not given. */
  maxWaiting?: number;
  /**
   * The org's series and open rows are read by reload() before the first write, not by open():
   * an exporter that reloads when it takes the lead (PgHistoryBackend) would read them twice, and a
   * follower, which never writes, would hold them for nothing (about 4 MB at 8,100 recorded series).
   */
  loadOnReload?: boolean;
}

/** What the self-metrics show about writes and queries (as HistoryStats for SQLite). */
export interface PgStoreStats extends QueryStats {
  writeErrors: Map<StoreReason, number>;
  /** ms since epoch of the last successful write. */
  lastWriteAt: number | undefined;
}

/** Series handled per roll-up or pruning transaction, as the SQLite store does. */
const MAINTENANCE_BATCH = 200;

/**
 * The history of one org in PostgreSQL, with the answers of HistoryStore (SQLite): the same rows
 * written (src/store/runs.ts), the same buckets, reports and roll-up read from them. Several orgs
 * share one database: every statement names the org or its series. Writes and upkeep run one at a
 * time, in the order called. record() never throws: a failed write is counted by reason and logged
 * once per new cause (and once on recovery), memory stays as the database is, and the next snapshot
 * is tried again. Reads go through the /history lanes of HistoryQueries (src/store/queries.ts), as on
 * SQLite, and reject with a StoreError (no password in it), TooManyPoints, HistoryBusy or QueryCancelled.
 */
export class PgHistoryStore {
  readonly stats: PgStoreStats = { writeErrors: new Map(), lastWriteAt: undefined, queries: new Map(), seriesRead: 0 };
  private failing: StoreError | undefined;
  /** The tail of the queue of writes and upkeep steps. */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly queries: HistoryQueries;

  private constructor(
    private readonly opts: PgStoreOptions,
    private readonly db: PgDb,
    private readonly end: () => Promise<void>,
    /** Undefined until loaded: by open(), or with `loadOnReload` by reload() or the first write. */
    private writer: PgHistoryWriter | undefined,
    reader: PgHistoryReader,
    private readonly retention: PgRetention,
  ) {
    const maxWaiting = opts.maxWaiting ?? QUERIES_WAITING_PER_LANE;
    const engine = pgQueryEngine(reader, { stillOpen: () => !this.closed, error: (err, what) => this.error(err, what), maxWaiting });
    this.queries = new HistoryQueries(this.stats, engine, { maxWaiting, onBusy: busyReporter(opts.log, opts.now, maxWaiting) });
  }

  /** Migrates the database (see migratePostgres), connects and loads the org's open rows; throws StoreError. */
  static async open(opts: PgStoreOptions): Promise<PgHistoryStore> {
    const state = await migratePostgres(opts.url, { migrationsFolder: opts.migrationsFolder });
    if (state.state === "newer") throw new StoreError("newer_schema", `PostgreSQL history database: ${describeSchemaState(state)}`);
    const { db, end } = connect(opts.url);
    try {
      const writer = opts.loadOnReload ? undefined : await PgHistoryWriter.load(db, opts.orgName, opts.maxGapS, opts.guard);
      const retention = new PgRetention(db, { ...opts, batch: MAINTENANCE_BATCH }, opts.guard);
      return new PgHistoryStore(opts, db, end, writer, new PgHistoryReader(db, opts.orgName), retention);
    } catch (err) {
      await end().catch(() => {});
      throw pgStoreError(err, opts.url, "PostgreSQL history database: loading the history");
    }
  }

  /**
   * Reads the org's series and open rows again, after the writes queued: what another exporter
   * wrote while this one did not lead, once no write of it is in flight (takeOverWrites). Rejects
   * with a StoreError (the old state is kept).
   */
  reload(): Promise<void> {
    return this.queued(async () => {
      try {
        const { orgName, maxGapS, guard } = this.opts;
        this.writer = await this.db.transaction(async (tx) => {
          await takeOverWrites(tx, orgName);
          return PgHistoryWriter.load(this.db, orgName, maxGapS, guard, tx);
        });
      } catch (err) {
        throw this.error(err, "loading the history written by the previous leader");
      }
    });
  }

  /** Why the last write or upkeep step failed; undefined once one succeeds again. */
  failure(): StoreError | undefined {
    return this.failing;
  }

  /** The org's last stored snapshot, served after a restart until CLS answers; undefined when none or unusable (logged). */
  async restore(): Promise<Snapshot | undefined> {
    try {
      const [row] = await this.db.select().from(snapshots).where(eq(snapshots.orgName, this.opts.orgName));
      const stored = row && decodeSnapshot(row.body, row.format);
      if (stored && "problem" in stored) {
        this.opts.log.warn("not serving the stored snapshot", { reason: stored.problem });
        return undefined;
      }
      return stored;
    } catch (err) {
      this.opts.log.warn("not serving the stored snapshot", { reason: this.error(err, "reading the last snapshot").message });
      return undefined;
    }
  }

  /** Records the snapshot after the writes queued before it; resolves whether it was written (false also when it failed). */
  record(s: Snapshot): Promise<boolean> {
    return this.queued(async () => {
      if (this.closed) return false;
      try {
        this.writer ??= await PgHistoryWriter.load(this.db, this.opts.orgName, this.opts.maxGapS, this.opts.guard);
        const { written, rewoundFrom } = await this.writer.record(s);
        if (rewoundFrom !== undefined) {
          this.opts.log.warn("the clock went back: history recorded after the current time was dropped", {
            from: new Date(s.collectedAt).toISOString(),
            to: new Date(rewoundFrom * 1000).toISOString(),
          });
        }
        if (!written) return false;
        this.stats.lastWriteAt = this.opts.now();
        if (this.failing) this.opts.log.info("history writes recovered", { after: this.failing.reason });
        this.failing = undefined;
        return true;
      } catch (err) {
        if (err instanceof NotLeader) {
          this.opts.log.warn("snapshot not written: this exporter no longer holds its org's lock", { reason: err.message });
          return false;
        }
        this.fail(this.error(err, "writing history"));
        return false;
      }
    });
  }

  /** /history's answer over the stored rows, as HistoryStore.query gives it (see HistoryQueries). */
  query(q: HistoryQuery, signal?: AbortSignal): Promise<Answer> {
    return this.queries.run(q, signal);
  }

  /** The renewal report over [from, to), as HistoryStore.report gives it, with `current` the snapshot served now. */
  report(q: ReportQuery, current: Snapshot | undefined, signal?: AbortSignal): Promise<Report> {
    const ctx = { orgName: this.opts.orgName, current, generatedAt: Math.floor(this.opts.now() / 1000) };
    return this.queries.report(q, ctx, signal);
  }

  /** One bounded step of roll-up and pruning at `nowS` (unix seconds); true when more is pending. A failure is counted and logged. */
  maintain(nowS: number): Promise<boolean> {
    return this.queued(async () => {
      if (this.closed) return false;
      try {
        return await this.retention.step(nowS);
      } catch (err) {
        if (err instanceof NotLeader) return false;
        this.fail(this.error(err, "roll-up and pruning"));
        return false;
      }
    });
  }

  /** Waits for queued writes, then closes the pool. */
  async close(): Promise<void> {
    await this.queued(async () => {
      this.closed = true;
    });
    await this.end().catch((err) =>
      this.opts.log.warn("closing the history database failed", { error: this.error(err, "closing").message }),
    );
  }

  private queued<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => {});
    return run;
  }

  private error(err: unknown, what: string): StoreError {
    return pgStoreError(err, this.opts.url, `PostgreSQL history database: ${what}`);
  }

  /** Counts a failed write and logs a cause the first time it appears. */
  private fail(err: StoreError): void {
    this.stats.writeErrors.set(err.reason, (this.stats.writeErrors.get(err.reason) ?? 0) + 1);
    if (this.failing?.reason !== err.reason) this.opts.log.error("history not recorded", { reason: err.reason, error: err.message });
    this.failing = err;
  }
}
