import { StoreError } from "../errors.ts";
import type { Labels } from "../snapshot/types.ts";
import { type Answer, type HistoryQuery, MAX_POINTS, QueryCancelled, roundStep, type SeriesResult, TooManyPoints } from "./query.ts";
import type { HistoryReader } from "./reader.ts";
import { HOUR } from "./rollup.ts";

/** A query's slice of the event loop: after this long it yields, and another query or a scrape runs. */
const YIELD_AFTER_MS = 10;

/** What a query will read, decided before any row is: its series, its step and what that costs. */
export interface Plan {
  matched: { id: number; labels: Labels }[];
  step: number;
  /** Series × buckets: the answer's size at most, and what the query costs to read. */
  points: number;
}

/**
 * The step an answer of `series` series uses: the query's, raised to whole hours where the range
 * reaches rolled-up data, and (with `fitStep`) grown to the next round step until the answer fits
 * MAX_POINTS. Throws TooManyPoints when it cannot fit.
 */
export function stepFor(q: HistoryQuery, series: number, rolledUntil: number | undefined): { step: number; points: number } {
  // Rolled-up hours cannot be split: a range reaching into them is read in whole hours.
  const hours = (s: number) => (rolledUntil !== undefined && q.from < rolledUntil && s % HOUR !== 0 ? Math.ceil(s / HOUR) * HOUR : s);
  const pointsOf = (s: number) => series * (Math.ceil((q.to - q.from) / s) + 1);
  let step = hours(q.step);
  // ceil(range / s) + 1 buckets fit in `most` + 1 once s >= range / most.
  const most = Math.floor(MAX_POINTS / Math.max(series, 1)) - 1;
  if (q.fitStep && pointsOf(step) > MAX_POINTS && most >= 1) step = hours(roundStep(Math.max(q.step, (q.to - q.from) / most)));
  const points = pointsOf(step);
  if (points > MAX_POINTS) throw new TooManyPoints(series, points / Math.max(series, 1));
  return { step, points };
}

/** Matches the query's series and sizes its answer; refuses (TooManyPoints) one that would exceed MAX_POINTS. */
export function planAnswer(reader: HistoryReader, rolledUntil: number | undefined, q: HistoryQuery): Plan {
  const matched = reader.series(q);
  return { matched, ...stepFor(q, matched.length, rolledUntil) };
}

export interface ReadControl {
  /** Asked after each pause: the database may have been closed meanwhile. */
  stillOpen: () => boolean;
  /** Checked before each series: once aborted, nothing more is read. */
  signal?: AbortSignal;
  /** Told after each series read (the store counts the work done). */
  onSeries?: () => void;
}

/** Reads a planned answer a series at a time (see eachSeries). */
export async function readAnswer(reader: HistoryReader, plan: Plan, q: HistoryQuery, ctl: ReadControl): Promise<Answer> {
  const series: SeriesResult[] = [];
  const until = reader.observedUntil();
  await eachSeries(plan.matched, ctl, (s) => {
    const r = reader.read(s, { ...q, step: plan.step }, until);
    if (r) series.push(r);
  });
  return { step: plan.step, series };
}

/**
 * Calls `read` for each series, yielding to the event loop every few milliseconds so a large
 * answer never holds up scrapes or other queries (a read may be asynchronous), and stopping (QueryCancelled) as soon as the
 * signal aborts.
 */
export async function eachSeries<S>(matched: readonly S[], ctl: ReadControl, read: (s: S) => void | Promise<void>): Promise<void> {
  let slice = performance.now();
  for (const s of matched) {
    if (performance.now() - slice > YIELD_AFTER_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      if (!ctl.stillOpen()) throw new StoreError("error", "history database was closed");
      slice = performance.now();
    }
    if (ctl.signal?.aborted) throw new QueryCancelled(ctl.signal.reason);
    // A synchronous read (SQLite) is not awaited: no extra turn of the event loop per series.
    const pending = read(s);
    if (pending) await pending;
    ctl.onSeries?.();
  }
}
