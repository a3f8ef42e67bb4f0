import { statSync } from "node:fs";
import { realTimers, type Timers } from "../clock.ts";
import { StoreError, type StoreReason } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Snapshot } from "../snapshot/types.ts";
import { readStoredSnapshot } from "./codec.ts";
import { closeNow, type Db, type Opened, openDatabase, openReadOnly } from "./db.ts";
import { claimOwner, OwnerConflict, type OwnerIdentity } from "./owner.ts";
import { busyReporter, HistoryQueries, QUERIES_WAITING_PER_LANE, type QueryStats } from "./queries.ts";
import type { Answer, HistoryQuery } from "./query.ts";
import { HistoryReader } from "./reader.ts";
import { readerEngine } from "./reader-engine.ts";
import type { Report, ReportQuery } from "./report.ts";
import { Retention } from "./rollup.ts";
import { HistoryWriter } from "./writer.ts";

/** What a history store of either engine is opened with besides where its database is. */
export interface HistoryOptions {
  migrationsFolder?: string;
  orgName: string;
  maxGapS: number;
  rawRetentionS: number;
  retentionS: number;
  now: () => number;
  log: Logger;
}

export interface StoreOptions extends HistoryOptions {
  path: string;
  timers?: Timers;
  /**
   * When set, this store is the only writer of its org in its file for as long as it is open (see
   * owner.ts): the constructor throws OwnerConflict when another process holds the org's lock.
   * Not for ":memory:", which no other process can open.
   */
  owner?: OwnerIdentity;
  /** HISTORY_MAX_WAITING: /history queries that may wait per lane; QUERIES_WAITING_PER_LANE when not given. */
  maxWaiting?: number;
}

/** What the self-metrics show about the history database and its queries (a store always has the latter). */
export interface HistoryStats extends Partial<QueryStats> {
  writeErrors: Map<StoreReason, number>;
  /** ms since epoch of the last successful write. */
  lastWriteAt: number | undefined;
  /** Size of the database file, pages in use included free ones. */
  databaseBytes: number | undefined;
}

const HINTS: Partial<Record<StoreReason, string>> = {
  full: "the disk holding DB_PATH is full: free space or move DB_PATH",
  readonly: "DB_PATH cannot be written (read-only file system or permissions)",
  corrupt: "DB_PATH is not a SQLite database or is damaged: move the file aside and a new one is created",
  busy: "another process holds a lock on DB_PATH",
};

/** What a person can do about a store failure, when we know. */
export const storeHint = (reason: StoreReason): string | undefined => HINTS[reason];

/** Identity and size of the file at `path`, to notice it was replaced or moved away. */
function fileState(path: string): string {
  try {
    const st = statSync(path);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return "absent";
  }
}

/**
 * Refreshes at most this far apart join their rows. One refresh runs every CACHE_TTL after the last
 * one ended and takes up to SCRAPE_TIMEOUT; one refresh that fetched nothing may be missing in between.
 */
export function maxGapSeconds(cacheTtlMs: number, scrapeTimeoutMs: number): number {
  return Math.ceil((2 * (cacheTtlMs + scrapeTimeoutMs)) / 1000) + 1;
}

/** Upkeep runs every few minutes; with a backlog, step after step with the event loop free in between. */
export const MAINTENANCE_EVERY_MS = 5 * 60_000;

interface Parts extends Opened {
  writer: HistoryWriter;
  reader: HistoryReader;
  retention: Retention;
}

/**
 * The history store as the rest of the exporter sees it. Opening, writing and upkeep never throw at
 * their callers: they keep serving what they can, log one line per new cause of failure (and one
 * when it recovers) and count every failed write. A cause no retry can cure (corrupt, foreign,
 * newer schema) is not retried. Reads (query) reject with a StoreError saying why, or TooManyPoints.
 */
export class HistoryStore {
  readonly stats: HistoryStats & QueryStats = {
    writeErrors: new Map(),
    lastWriteAt: undefined,
    databaseBytes: undefined,
    queries: new Map(),
    seriesRead: 0,
  };
  private parts: Parts | undefined;
  private failure: StoreError | undefined;
  private pending: Snapshot | undefined;
  private flushTimer: unknown;
  private maintenanceTimer: unknown;
  private closed = false;
  /** The file as it was when refused for good (see fileState). */
  private refused: string | undefined;
  private readonly timers: Timers;
  private readonly queries: HistoryQueries;

  constructor(private readonly opts: StoreOptions) {
    this.timers = opts.timers ?? realTimers;
    const access = () => {
      const parts = this.readable();
      return { reader: parts.reader, rolledUntil: parts.retention.rolledUntil(), stillOpen: () => this.parts === parts };
    };
    const maxWaiting = opts.maxWaiting ?? QUERIES_WAITING_PER_LANE;
    this.queries = new HistoryQueries(this.stats, readerEngine(access), {
      maxWaiting,
      onBusy: busyReporter(opts.log, opts.now, maxWaiting),
    });
    this.open(true);
  }

  /** Why /history cannot answer, or undefined when it can. */
  unavailable(): StoreError | undefined {
    return this.failure;
  }

  /** At start-up, another owner ends the start (thrown); later it is one more reason not to write. */
  private open(startup = false): void {
    let opened: Opened | undefined;
    try {
      opened = openDatabase(this.opts.path, this.opts.migrationsFolder, this.claim());
      const { db } = opened;
      this.parts = {
        ...opened,
        writer: new HistoryWriter(db, this.opts.orgName, this.opts.maxGapS),
        reader: new HistoryReader(db, this.opts.orgName),
        retention: new Retention(db, {
          orgName: this.opts.orgName,
          rawRetentionS: this.opts.rawRetentionS,
          retentionS: this.opts.retentionS,
          maxGapS: this.opts.maxGapS,
          batch: 200,
        }),
      };
      this.measure();
    } catch (err) {
      if (startup && err instanceof OwnerConflict) throw err;
      // Opened but unusable (e.g. a table dropped by hand): close it, or every retry leaks a descriptor.
      if (opened) closeNow(opened.sqlite);
      opened?.lock?.release();
      this.parts = undefined;
      this.fail(err instanceof OwnerConflict ? new StoreError("busy", err.message) : StoreError.from(err, "history database"), false);
      this.refused = this.failure?.permanent ? fileState(this.opts.path) : undefined;
    }
  }

  private claim() {
    const { path, orgName, owner } = this.opts;
    return owner && path !== ":memory:" ? () => claimOwner(path, orgName, owner) : undefined;
  }

  /** The last persisted snapshot of this org, served after a restart until CLS answers. */
  restore(): Snapshot | undefined {
    if (!this.parts) return this.failure?.reason === "readonly" ? this.restoreReadOnly() : undefined;
    try {
      return this.lastSnapshot(this.parts.db);
    } catch (err) {
      this.fail(StoreError.from(err, "history database: reading the last snapshot"), false);
      return undefined;
    }
  }

  /** A database that cannot be written (read-only disk) still holds the last snapshot worth serving. */
  private restoreReadOnly(): Snapshot | undefined {
    let opened: Opened | undefined;
    try {
      opened = openReadOnly(this.opts.path);
      return opened && this.lastSnapshot(opened.db);
    } catch (err) {
      this.opts.log.warn("not serving the stored snapshot", { reason: (err as Error).message });
      return undefined;
    } finally {
      if (opened) closeNow(opened.sqlite);
    }
  }

  private lastSnapshot(db: Db): Snapshot | undefined {
    const stored = readStoredSnapshot(db, this.opts.orgName);
    if (stored && "problem" in stored) {
      this.opts.log.warn("not serving the stored snapshot", { reason: stored.problem });
      return undefined;
    }
    return stored;
  }

  /** Queues a snapshot for writing once the current task is done: never on a scrape's path. */
  offer(s: Snapshot): void {
    if (this.closed) return;
    this.pending = s;
    this.flushTimer ??= this.timers.setTimeout(() => this.flush(), 0);
  }

  /** Writes the queued snapshot now (also on shutdown). */
  flush(): void {
    this.timers.clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const s = this.pending;
    this.pending = undefined;
    if (s) this.record(s);
  }

  record(s: Snapshot): void {
    // A file refused for good is tried again only once someone replaced or moved it.
    if (!this.parts && (!this.failure?.permanent || fileState(this.opts.path) !== this.refused)) this.open();
    if (!this.parts) {
      this.fail(this.failure ?? new StoreError("error", "history database is not open"), true);
      return;
    }
    try {
      const { written, rewoundFrom } = this.parts.writer.record(s);
      if (rewoundFrom !== undefined) {
        this.opts.log.warn("the clock went back: history recorded after the current time was dropped", {
          from: new Date(s.collectedAt).toISOString(),
          to: new Date(rewoundFrom * 1000).toISOString(),
        });
      }
      if (!written) return;
      this.stats.lastWriteAt = this.opts.now();
      this.measure();
      if (this.failure) this.opts.log.info("history writes recovered", { after: this.failure.reason });
      this.failure = undefined;
    } catch (err) {
      this.fail(StoreError.from(err, "history database: recording a snapshot"), true);
    }
  }

  /**
   * Reads one /history answer (see HistoryQueries): TooManyPoints before anything is read,
   * HistoryBusy when its lane is full, QueryCancelled once `signal` aborts, StoreError when the
   * database cannot answer.
   */
  query(q: HistoryQuery, signal?: AbortSignal): Promise<Answer> {
    return this.queries.run(q, signal);
  }

  /**
   * The renewal report over [from, to) of the stored demand history, with the overage and end dates
   * of `current` (the snapshot served now). Rejects like query(), never with TooManyPoints: it reads
   * a summary per series, not points.
   */
  report(q: ReportQuery, current: Snapshot | undefined, signal?: AbortSignal): Promise<Report> {
    const ctx = { orgName: this.opts.orgName, current, generatedAt: Math.floor(this.opts.now() / 1000) };
    return this.queries.report(q, ctx, signal);
  }

  private readable(): Parts {
    if (this.failure || !this.parts) throw this.failure ?? new StoreError("error", "history database is not open");
    return this.parts;
  }

  /** One bounded step of roll-up and pruning; true when more is pending. */
  maintain(): boolean {
    if (!this.parts || this.failure) return false;
    try {
      return this.parts.retention.step(Math.floor(this.opts.now() / 1000));
    } catch (err) {
      this.fail(StoreError.from(err, "history database: roll-up and pruning"), true);
      return false;
    }
  }

  startMaintenance(): void {
    const tick = () => {
      if (this.closed) return;
      this.maintenanceTimer = this.timers.setTimeout(tick, this.maintain() ? 0 : MAINTENANCE_EVERY_MS);
    };
    this.maintenanceTimer = this.timers.setTimeout(tick, 1_000);
  }

  /**
   * Hands SQLite's page cache back (PRAGMA shrink_memory) when the exporter is idle: a refresh's
   * write fills it (up to 2 MB) and an idle process would keep it until the next one. Pages the
   * next write needs are read again, from the operating system's file cache.
   */
  releaseMemory(): void {
    try {
      this.parts?.sqlite.run("PRAGMA shrink_memory");
    } catch {
      // Nothing to give back from a connection that cannot answer; the next write says why.
    }
  }

  /** Writes what is queued, folds the write-ahead log into the file and closes it. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.timers.clearTimeout(this.maintenanceTimer);
    try {
      this.parts?.sqlite.run("PRAGMA wal_checkpoint(TRUNCATE)");
      if (this.parts) closeNow(this.parts.sqlite);
    } catch (err) {
      this.opts.log.warn("closing the history database failed", { error: (err as Error).message });
    }
    // After the file is closed: the next owner finds everything written.
    this.parts?.lock?.release();
    this.parts = undefined;
  }

  private measure(): void {
    if (!this.parts) return;
    const { page_count, page_size } = this.parts.sqlite
      .query("SELECT page_count, page_size FROM pragma_page_count, pragma_page_size")
      .get() as { page_count: number; page_size: number };
    this.stats.databaseBytes = page_count * page_size;
  }

  /** Counts a failed write (when `counted`) and logs a cause the first time it appears. */
  private fail(err: StoreError, counted: boolean): void {
    if (counted) this.stats.writeErrors.set(err.reason, (this.stats.writeErrors.get(err.reason) ?? 0) + 1);
    if (this.failure?.reason !== err.reason) {
      const hint = storeHint(err.reason);
      this.opts.log.error(hint ? `history not recorded: ${hint}` : "history not recorded", {
        reason: err.reason,
        error: err.message,
        path: this.opts.path,
      });
    }
    this.failure = err;
  }
}
