import { eq } from "drizzle-orm";
import { statSync } from "node:fs";
import pLimit from "p-limit";
import type { Config } from "../config.ts";
import { StoreError, type StoreReason } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Timers } from "../snapshot/cache.ts";
import type { Snapshot } from "../snapshot/types.ts";
import { decodeSnapshot } from "./codec.ts";
import { closeNow, type Db, type Opened, openDatabase, openReadOnly } from "./db.ts";
import { HistoryReader, type SeriesQuery, type SeriesResult } from "./read.ts";
import { HOUR, Retention } from "./rollup.ts";
import { snapshots } from "./schema.ts";
import { HistoryWriter } from "./writer.ts";

export interface StoreOptions {
  path: string;
  migrationsFolder?: string;
  orgName: string;
  maxGapS: number;
  rawRetentionS: number;
  retentionS: number;
  now: () => number;
  log: Logger;
  timers?: Timers;
}

/** What the self-metrics show about the history database. */
export interface HistoryStats {
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

/**
 * Refreshes at most this far apart join their rows. One refresh runs every CACHE_TTL after the last
 * one ended and takes up to SCRAPE_TIMEOUT; one refresh that fetched nothing may be missing in between.
 */
export function maxGapSeconds(cacheTtlMs: number, scrapeTimeoutMs: number): number {
  return Math.ceil((2 * (cacheTtlMs + scrapeTimeoutMs)) / 1000) + 1;
}

/** Points one /history answer may hold (series × buckets): about 20 MB of JSON. */
export const MAX_POINTS = 250_000;
const YIELD_AFTER_MS = 10;

export class TooManyPoints extends Error {
  override readonly name = "TooManyPoints";
  constructor(
    readonly series: number,
    readonly buckets: number,
  ) {
    super(`${series} series × ${buckets} points exceed ${MAX_POINTS}: narrow the filters or use a larger step`);
  }
}

/** Identity and size of the file at `path`, to notice it was replaced or moved away. */
function fileState(path: string): string {
  try {
    const st = statSync(path);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return "absent";
  }
}

/** Upkeep runs every few minutes; with a backlog, step after step with the event loop free in between. */
const MAINTENANCE_EVERY_MS = 5 * 60_000;

interface Parts extends Opened {
  writer: HistoryWriter;
  reader: HistoryReader;
  retention: Retention;
}

/**
 * The history store as the rest of the exporter sees it: never throws at its callers, keeps serving
 * what it can, logs one line per new cause of failure (and one when it recovers), counts every
 * failed write. A cause no retry can cure (corrupt, foreign, newer schema) is not retried.
 */
export class HistoryStore {
  readonly stats: HistoryStats = { writeErrors: new Map(), lastWriteAt: undefined, databaseBytes: undefined };
  private parts: Parts | undefined;
  private failure: StoreError | undefined;
  private pending: Snapshot | undefined;
  private flushTimer: unknown;
  private maintenanceTimer: unknown;
  private closed = false;
  /** The file as it was when refused for good (see fileState). */
  private refused: string | undefined;
  private readonly timers: Timers;
  private readonly oneQuery = pLimit(1);

  constructor(private readonly opts: StoreOptions) {
    this.timers = opts.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) };
    this.open();
  }

  /** Why /history cannot answer, or undefined when it can. */
  unavailable(): StoreError | undefined {
    return this.failure;
  }

  private open(): boolean {
    let opened: Opened | undefined;
    try {
      opened = openDatabase(this.opts.path, this.opts.migrationsFolder);
      const { db } = opened;
      this.parts = {
        ...opened,
        writer: new HistoryWriter(db, this.opts.orgName, this.opts.maxGapS),
        reader: new HistoryReader(db, this.opts.orgName),
        retention: new Retention(db, { orgName: this.opts.orgName, rawRetentionS: this.opts.rawRetentionS, retentionS: this.opts.retentionS, maxGapS: this.opts.maxGapS, batch: 200 }),
      };
      this.measure();
      return true;
    } catch (err) {
      // Opened but unusable (e.g. a table dropped by hand): close it, or every retry leaks a descriptor.
      if (opened) closeNow(opened.sqlite);
      this.parts = undefined;
      this.fail(StoreError.from(err, "history database"), false);
      this.refused = this.failure?.permanent ? fileState(this.opts.path) : undefined;
      return false;
    }
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
    const row = db.select().from(snapshots).where(eq(snapshots.orgName, this.opts.orgName)).get();
    if (!row) return undefined;
    const decoded = decodeSnapshot(row.body, row.format);
    if ("problem" in decoded) {
      this.opts.log.warn("not serving the stored snapshot", { reason: decoded.problem });
      return undefined;
    }
    return decoded;
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
        this.opts.log.warn("the clock went back: history recorded after the current time was dropped", { from: new Date(s.collectedAt).toISOString(), to: new Date(rewoundFrom * 1000).toISOString() });
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
   * Reads one /history answer. Runs one at a time and yields to the event loop every few
   * milliseconds, so a large query never holds up scrapes. Throws StoreError, or TooManyPoints
   * before reading anything when the answer would exceed MAX_POINTS.
   */
  query(q: SeriesQuery): Promise<{ step: number; series: SeriesResult[] }> {
    return this.oneQuery(() => this.runQuery(q));
  }

  private async runQuery(q: SeriesQuery): Promise<{ step: number; series: SeriesResult[] }> {
    const parts = this.readable();
    try {
      // Rolled-up hours cannot be split: a range reaching into them is read in whole hours.
      const rolled = parts.retention.rolledUntil();
      const step = rolled !== undefined && q.from < rolled && q.step % HOUR !== 0 ? Math.ceil(q.step / HOUR) * HOUR : q.step;
      const matched = parts.reader.series(q);
      const buckets = Math.ceil((q.to - q.from) / step) + 1;
      if (matched.length * buckets > MAX_POINTS) throw new TooManyPoints(matched.length, buckets);
      const series: SeriesResult[] = [];
      const until = parts.reader.observedUntil();
      let slice = performance.now();
      for (const s of matched) {
        if (performance.now() - slice > YIELD_AFTER_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          if (this.parts !== parts) throw new StoreError("error", "history database was closed");
          slice = performance.now();
        }
        const r = parts.reader.read(s, { ...q, step }, until);
        if (r) series.push(r);
      }
      return { step, series };
    } catch (err) {
      throw err instanceof TooManyPoints ? err : StoreError.from(err, "history database: reading history");
    }
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
    this.parts = undefined;
  }

  private measure(): void {
    if (!this.parts) return;
    const { page_count, page_size } = this.parts.sqlite.query("SELECT page_count, page_size FROM pragma_page_count, pragma_page_size").get() as { page_count: number; page_size: number };
    this.stats.databaseBytes = page_count * page_size;
  }

  /** Counts a failed write (when `counted`) and logs a cause the first time it appears. */
  private fail(err: StoreError, counted: boolean): void {
    if (counted) this.stats.writeErrors.set(err.reason, (this.stats.writeErrors.get(err.reason) ?? 0) + 1);
    if (this.failure?.reason !== err.reason) {
      this.opts.log.error(HINTS[err.reason] ? `history not recorded: ${HINTS[err.reason]}` : "history not recorded", { reason: err.reason, error: err.message, path: this.opts.path });
    }
    this.failure = err;
  }
}

/** The store as configured; opening never throws (a failure is logged and /history says 503). */
export function openHistory(config: Config, deps: { now: () => number; log: Logger }): HistoryStore {
  return new HistoryStore({
    path: config.dbPath,
    orgName: config.orgName,
    maxGapS: maxGapSeconds(config.cacheTtlMs, config.scrapeTimeoutMs),
    rawRetentionS: config.historyRawRetentionMs / 1000,
    retentionS: config.historyRetentionMs / 1000,
    now: deps.now,
    log: deps.log,
  });
}
