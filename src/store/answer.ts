import { StoreError } from "../errors.ts";
import { type Answer, type HistoryQuery, MAX_POINTS, type SeriesResult, TooManyPoints } from "./query.ts";
import type { HistoryReader } from "./reader.ts";
import { HOUR } from "./rollup.ts";

const YIELD_AFTER_MS = 10;

/**
 * Reads one /history answer, refusing before any row is read one that would exceed MAX_POINTS, and
 * yielding to the event loop every few milliseconds so a large answer never holds up scrapes.
 * `stillOpen` is asked after each pause: the database may have been closed meanwhile.
 */
export async function readAnswer(
  reader: HistoryReader,
  rolledUntil: number | undefined,
  q: HistoryQuery,
  stillOpen: () => boolean,
): Promise<Answer> {
  // Rolled-up hours cannot be split: a range reaching into them is read in whole hours.
  const step = rolledUntil !== undefined && q.from < rolledUntil && q.step % HOUR !== 0 ? Math.ceil(q.step / HOUR) * HOUR : q.step;
  const matched = reader.series(q);
  const buckets = Math.ceil((q.to - q.from) / step) + 1;
  if (matched.length * buckets > MAX_POINTS) throw new TooManyPoints(matched.length, buckets);
  const series: SeriesResult[] = [];
  const until = reader.observedUntil();
  let slice = performance.now();
  for (const s of matched) {
    if (performance.now() - slice > YIELD_AFTER_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      if (!stillOpen()) throw new StoreError("error", "history database was closed");
      slice = performance.now();
    }
    const r = reader.read(s, { ...q, step }, until);
    if (r) series.push(r);
  }
  return { step, series };
}
