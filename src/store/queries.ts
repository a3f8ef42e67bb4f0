import type { StoreError } from "../errors.ts";
import { type Logger, refusalReporter } from "../log.ts";
import type { ReadControl } from "./answer.ts";
import { type Answer, HistoryBusy, type HistoryQuery, QueryCancelled, TooManyPoints } from "./query.ts";
import type { Report, ReportQuery } from "./report.ts";
import type { ReportContext } from "./report-read.ts";

/** How a /history query ended: answered, stopped (client gone or out of time), refused (lane full, answer too large) or failed. */
export const QUERY_OUTCOMES = ["answered", "cancelled", "busy", "too_large", "failed"] as const;
export type QueryOutcome = (typeof QUERY_OUTCOMES)[number];

/** What the self-metrics and tests see of the queries. */
export interface QueryStats {
  /** Queries by how they ended. */
  queries: Map<QueryOutcome, number>;
  /** Series read by queries, whatever became of them: the work queries cost. */
  seriesRead: number;
}

/**
 * An answer of at most this many points (series × buckets) takes the light lane; larger ones the
 * heavy lane. One query of each runs at a time, their slices interleaved, so a small query never
 * waits behind a large one.
 */
export const LIGHT_POINTS = 20_000;
/** HISTORY_MAX_WAITING's default: queries that may wait in each lane behind the running one; one more is refused (503 with Retry-After). */
export const QUERIES_WAITING_PER_LANE = 8;

const outcomeOf = (err: unknown): QueryOutcome =>
  err instanceof QueryCancelled ? "cancelled" : err instanceof HistoryBusy ? "busy" : err instanceof TooManyPoints ? "too_large" : "failed";

/** What a read is told when its turn comes: its signal, and whom to tell of each series read. */
export type ReadTurn = Omit<ReadControl, "stillOpen">;

/** A /history query matched and sized, not yet read. */
export interface PlannedRead {
  /** Series × buckets (see stepFor): picks the lane. */
  points: number;
  read(turn: ReadTurn): Promise<Answer>;
}

/**
 * What an engine (SQLite, PostgreSQL) gives HistoryQueries. `plan` matches and sizes a query without
 * reading a row (throws TooManyPoints, or a StoreError when the database cannot answer); it may be
 * synchronous. `report` prepares a report's read the same way. `error` words an engine failure.
 */
export interface QueryEngine {
  plan(q: HistoryQuery): PlannedRead | Promise<PlannedRead>;
  report(q: ReportQuery, ctx: ReportContext): (turn: ReadTurn) => Promise<Report>;
  error(err: unknown, what: string): StoreError;
}

/** The refusal of a full lane as both engines log it: a warning at most once a minute, with the count. */
export function busyReporter(log: Logger, now: () => number, maxWaiting: number): () => void {
  return refusalReporter(log, now, "too many /history queries waiting; refused with 503 (HISTORY_MAX_WAITING)", {
    max_waiting: maxWaiting,
  });
}

/**
 * Runs /history queries and reports of either engine: each is matched and sized first
 * (TooManyPoints before any row is read), then waits in the light or heavy lane (HistoryBusy when
 * that lane is full; a report always takes the heavy lane) and is read a series at a time. An abort
 * of its signal takes it out of its lane or stops it before its next series (QueryCancelled); every
 * query is counted by outcome, every series read in `seriesRead`.
 */
export class HistoryQueries {
  private readonly light: QueryLane;
  private readonly heavy: QueryLane;
  private readonly onBusy: (() => void) | undefined;

  constructor(
    private readonly stats: QueryStats,
    private readonly engine: QueryEngine,
    opts: { maxWaiting?: number; onBusy?: () => void } = {},
  ) {
    this.light = new QueryLane("light", opts.maxWaiting ?? QUERIES_WAITING_PER_LANE);
    this.heavy = new QueryLane("heavy", opts.maxWaiting ?? QUERIES_WAITING_PER_LANE);
    this.onBusy = opts.onBusy;
  }

  run(q: HistoryQuery, signal?: AbortSignal): Promise<Answer> {
    return this.counted(() => this.read(q, signal));
  }

  /** A report: always in the heavy lane, counted like a /history query. */
  report(q: ReportQuery, ctx: ReportContext, signal?: AbortSignal): Promise<Report> {
    return this.counted(() => this.readReport(q, ctx, signal));
  }

  private async counted<T>(work: () => Promise<T>): Promise<T> {
    try {
      const answer = await work();
      this.count("answered");
      return answer;
    } catch (err) {
      this.count(outcomeOf(err));
      throw err;
    }
  }

  private async read(q: HistoryQuery, signal: AbortSignal | undefined): Promise<Answer> {
    if (signal?.aborted) throw new QueryCancelled(signal.reason);
    try {
      const planned = this.engine.plan(q);
      // A synchronous plan (SQLite) is not awaited: the query takes its place in its lane at once.
      const plan = planned instanceof Promise ? await planned : planned;
      const lane = plan.points <= LIGHT_POINTS ? this.light : this.heavy;
      return await lane.run(() => plan.read(this.turn(signal)), signal);
    } catch (err) {
      if (err instanceof TooManyPoints || err instanceof QueryCancelled || err instanceof HistoryBusy) throw err;
      throw this.engine.error(err, "reading history");
    }
  }

  private async readReport(q: ReportQuery, ctx: ReportContext, signal: AbortSignal | undefined): Promise<Report> {
    if (signal?.aborted) throw new QueryCancelled(signal.reason);
    try {
      const read = this.engine.report(q, ctx);
      return await this.heavy.run(() => read(this.turn(signal)), signal);
    } catch (err) {
      if (err instanceof QueryCancelled || err instanceof HistoryBusy) throw err;
      throw this.engine.error(err, "reading the report");
    }
  }

  private turn(signal: AbortSignal | undefined): ReadTurn {
    return { signal, onSeries: () => this.stats.seriesRead++ };
  }

  private count(outcome: QueryOutcome): void {
    if (outcome === "busy") this.onBusy?.();
    this.stats.queries.set(outcome, (this.stats.queries.get(outcome) ?? 0) + 1);
  }
}

/**
 * One lane of /history queries: one runs at a time and at most `maxWaiting` wait their turn, in
 * order; one more is refused (HistoryBusy) rather than queued. A query whose signal aborts while it
 * waits leaves the line at once (QueryCancelled) and never runs.
 */
export class QueryLane {
  private running = false;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly name: string,
    private readonly maxWaiting: number,
  ) {}

  /** Queries waiting for their turn (the running one not included). */
  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.running) await this.turn(signal);
    else this.running = true;
    try {
      return await work();
    } finally {
      this.handOn();
    }
  }

  /** Resolves when the lane is handed to this query; `running` stays true across the hand-over. */
  private turn(signal: AbortSignal | undefined): Promise<void> {
    if (this.waiting.length >= this.maxWaiting) return Promise.reject(new HistoryBusy(this.name));
    return new Promise((resolve, reject) => {
      const go = () => {
        signal?.removeEventListener("abort", leave);
        resolve();
      };
      const leave = () => {
        this.waiting.splice(this.waiting.indexOf(go), 1);
        reject(new QueryCancelled(signal?.reason));
      };
      signal?.addEventListener("abort", leave, { once: true });
      this.waiting.push(go);
    });
  }

  private handOn(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running = false;
  }
}
