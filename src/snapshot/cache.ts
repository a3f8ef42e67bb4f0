import { realTimers, type Timers } from "../clock.ts";
import type { Snapshot } from "./types.ts";

export interface CacheOptions {
  ttlMs: number;
  /** How long a caller with no snapshot at all waits for the refresh in flight. */
  scrapeTimeoutMs: number;
  /**
   * Produces the next snapshot; expected to resolve even when CLS fails (with up = false). Undefined:
   * nothing newer than what is served (a replica found no newer snapshot of its leader's).
   */
  refresh: () => Promise<Snapshot | undefined>;
  now: () => number;
  timers?: Timers;
  /** Called once per refresh attempt that rejected (a bug, not a CLS failure). */
  onRefreshError?: (err: unknown) => void;
  /** Called with the result of every refresh attempt (e.g. to persist it). */
  onSnapshot?: (snapshot: Snapshot) => void;
}

/**
 * One snapshot shared by every reader (scrapes, OTLP pushes, history). Freshness counts from the
 * end of the last refresh attempt, failed or not, so a failing CLS is asked once per TTL, never
 * once per scrape. At most one refresh runs at a time; every caller that finds the cache stale joins it.
 */
export class SnapshotCache {
  private snapshot: Snapshot | undefined;
  private attemptedAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<Snapshot | undefined> | undefined;
  private timer: unknown;
  private running = false;
  private readonly timers: Timers;

  constructor(private readonly opts: CacheOptions) {
    this.timers = opts.timers ?? realTimers;
  }

  current(): Snapshot | undefined {
    return this.snapshot;
  }

  /** Serves a snapshot loaded from disk until the first refresh replaces it; it does not count as fresh. */
  seed(snapshot: Snapshot): void {
    this.snapshot ??= snapshot;
  }

  isFresh(): boolean {
    return this.opts.now() - this.attemptedAt < this.opts.ttlMs;
  }

  /** The read path that never waits: starts (or joins) a refresh when stale, returns what there is. */
  peek(): Snapshot | undefined {
    if (!this.isFresh()) void this.refresh();
    return this.snapshot;
  }

  /**
   * The read path of scrapes and pushes: never waits on CLS when a snapshot exists; with none,
   * waits for the refresh up to scrapeTimeoutMs and may then return undefined.
   */
  async get(): Promise<Snapshot | undefined> {
    const refreshing = this.isFresh() ? this.inFlight : this.refresh();
    if (this.snapshot || !refreshing) return this.snapshot;
    let timer: unknown;
    const timeout = new Promise<undefined>((resolve) => {
      timer = this.timers.setTimeout(() => resolve(undefined), this.opts.scrapeTimeoutMs);
    });
    try {
      return await Promise.race([refreshing, timeout]);
    } finally {
      this.timers.clearTimeout(timer);
    }
  }

  /** Starts a refresh, or joins the one in flight. Never rejects. */
  refresh(): Promise<Snapshot | undefined> {
    this.inFlight ??= this.run().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async run(): Promise<Snapshot | undefined> {
    try {
      const next = await this.opts.refresh();
      if (next) {
        this.snapshot = next;
        this.opts.onSnapshot?.(next);
      }
    } catch (err) {
      // The data kept is now older than a refresh that should have replaced it.
      if (this.snapshot?.up) this.snapshot = { ...this.snapshot, up: false };
      this.opts.onRefreshError?.(err);
    } finally {
      this.attemptedAt = this.opts.now();
      this.schedule();
    }
    return this.snapshot;
  }

  /** Background refreshes every TTL, so history records with no scraper attached. */
  start(): void {
    this.running = true;
    void this.refresh();
  }

  stop(): void {
    this.running = false;
    this.timers.clearTimeout(this.timer);
  }

  /** Resolves when no refresh is running (for shutdown). */
  async settled(): Promise<void> {
    await this.inFlight;
  }

  private schedule(): void {
    if (!this.running) return;
    this.timers.clearTimeout(this.timer);
    const wait = Math.max(0, this.attemptedAt + this.opts.ttlMs - this.opts.now());
    this.timer = this.timers.setTimeout(() => {
      if (this.isFresh()) this.schedule();
      else void this.refresh();
    }, wait);
  }
}
