import { type StoredRow, secondsAtCapacity } from "./buckets.ts";
import { HOUR } from "./rollup.ts";

/**
 * Pure arithmetic of the renewal report over one series' stored rows (README "Report" says how
 * precise each figure is). Raw rows are constant runs and are cut exactly at the range's edges; a
 * rolled-up row holds one hour and is taken whole when it reaches into the range.
 */
export const DAY = 86_400;

export interface Summary {
  /** Value and capacity of the last row in the range. */
  last: number;
  capacity: number | null;
  peak: number;
  /** Unix seconds: when the peak was first reached (a rolled-up hour: the hour's start). */
  peakAt: number;
  p95: number;
  avg: number;
  atCapacityS: number;
  /** Highest value seen on each UTC day (key: day number since the epoch). */
  dailyPeaks: Map<number, number>;
}

class Tally {
  peak = Number.NEGATIVE_INFINITY;
  peakAt = 0;
  area = 0;
  covered = 0;
  atCapacityS = 0;
  /** Seconds spent at each value: the time-weighted distribution p95 is read from. */
  readonly weights = new Map<number, number>();
  /** Values seen only at an instant (a lone refresh): what the figures fall back to without any duration. */
  readonly instants: number[] = [];
  readonly dailyPeaks = new Map<number, number>();

  seen(peak: number, at: number): void {
    if (peak > this.peak) {
      this.peak = peak;
      this.peakAt = at;
    }
  }

  spent(value: number, seconds: number): void {
    if (seconds > 0) this.weights.set(value, (this.weights.get(value) ?? 0) + seconds);
    else this.instants.push(value);
  }

  /** The value reached on every UTC day that [s, e] touches (an instant: its own day). */
  daily(value: number, s: number, e: number): void {
    const lastDay = Math.floor((e > s ? e - 1 : s) / DAY);
    for (let d = Math.floor(s / DAY); d <= lastDay; d++) this.dailyPeaks.set(d, Math.max(this.dailyPeaks.get(d) ?? value, value));
  }
}

const inside = (r: StoredRow, from: number, to: number) => r.start < to && (r.start === r.end ? r.start >= from : r.end > from);

function addRaw(t: Tally, r: StoredRow, from: number, to: number): void {
  const s = Math.max(r.start, from);
  const e = Math.min(r.end, to);
  const len = e - s;
  t.seen(r.last, s);
  t.spent(r.last, len);
  t.area += r.last * len;
  t.covered += len;
  t.atCapacityS += secondsAtCapacity(r, len);
  t.daily(r.last, s, e);
}

type RolledRow = StoredRow & { min: number; max: number; area: number; covered: number };

const isRolled = (r: StoredRow): r is RolledRow => r.min !== null && r.max !== null && r.area !== null && r.covered !== null;

function addRolled(t: Tally, r: RolledRow, from: number): void {
  const hour = Math.max(Math.floor(r.start / HOUR) * HOUR, from);
  t.seen(r.max, hour);
  // An hour is known by its aggregates only: its average stands for all of its observed seconds.
  t.spent(r.covered > 0 ? r.area / r.covered : r.last, r.covered);
  t.area += r.area;
  t.covered += r.covered;
  t.atCapacityS += secondsAtCapacity(r, r.covered);
  t.daily(r.max, r.start, r.start);
}

/** The smallest value with at least `share` of the time at or below it. */
export function weightedQuantile(weights: ReadonlyMap<number, number>, share: number): number | undefined {
  const values = [...weights.keys()].sort((a, b) => a - b);
  let total = 0;
  for (const v of values) total += weights.get(v)!;
  if (total <= 0) return undefined;
  let sum = 0;
  for (const v of values) {
    sum += weights.get(v)!;
    if (sum >= share * total) return v;
  }
  return values.at(-1);
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function counts(xs: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const x of xs) out.set(x, (out.get(x) ?? 0) + 1);
  return out;
}

/** The series' figures over [from, to), or undefined when it has no data there. Rows must be in time order. */
export function summarise(rows: readonly StoredRow[], from: number, to: number): Summary | undefined {
  const t = new Tally();
  let lastRow: StoredRow | undefined;
  for (const r of rows) {
    if (!inside(r, from, to)) continue;
    lastRow = r;
    if (isRolled(r)) addRolled(t, r, from);
    else addRaw(t, r, from, to);
  }
  if (!lastRow) return undefined;
  const timed = t.covered > 0;
  return {
    last: lastRow.last,
    capacity: lastRow.capacity,
    peak: t.peak,
    peakAt: t.peakAt,
    p95: weightedQuantile(timed ? t.weights : counts(t.instants), 0.95)!,
    avg: timed ? t.area / t.covered : mean(t.instants),
    atCapacityS: t.atCapacityS,
    dailyPeaks: t.dailyPeaks,
  };
}
