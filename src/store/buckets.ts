/**
 * Pure downsampling of run-length rows into time buckets. Buckets are aligned to multiples of
 * `step` since the epoch, so the same query gives the same buckets whenever it is repeated.
 */

/** A stored row with its end resolved (an open row ends at the org's last recorded refresh). */
export interface StoredRow {
  start: number;
  end: number;
  /** Still current: `end` is the last refresh, which saw this value, so that instant counts too. */
  open?: boolean;
  last: number;
  capacity: number | null;
  /** Set on rolled-up rows only: such a row lies within one hour and is never split. */
  min: number | null;
  max: number | null;
  area: number | null;
  covered: number | null;
  /** Set on rolled-up rows (since migration 0001): seconds at or above capacity. */
  atCapacity?: number | null;
}

/**
 * At capacity: use at or above the seats it is measured against, and above zero (nothing in use
 * is no shortage). A new lease request is then refused or runs into overage.
 */
export const isAtCapacity = (value: number, capacity: number | null) => capacity !== null && value > 0 && value >= capacity;

/**
 * Seconds a row spent at capacity within its `len` seconds. A raw row is constant, so this is
 * exact; a rolled-up row carries the figure. An hour rolled up before at_capacity existed counts
 * only when the whole hour was at capacity (its min), a lower bound (README "Report").
 */
export function secondsAtCapacity(r: Omit<StoredRow, "start" | "end" | "open">, len: number): number {
  if (r.min === null || r.covered === null) return isAtCapacity(r.last, r.capacity) ? len : 0;
  return r.atCapacity ?? (isAtCapacity(r.min, r.capacity) ? r.covered : 0);
}

export interface Point {
  /** Bucket start, unix seconds. */
  t: number;
  min: number;
  max: number;
  /** Time-weighted over the seconds observed in the bucket. */
  avg: number;
  /** The value last observed in the bucket. */
  last: number;
}

class Bucket {
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  area = 0;
  covered = 0;
  last = 0;
  lastAt = Number.NEGATIVE_INFINITY;
  /** For a bucket holding only instants (no duration): the plain mean of what was seen. */
  sum = 0;
  n = 0;

  add(min: number, max: number, area: number, covered: number, last: number, at: number, mean: number): void {
    this.min = Math.min(this.min, min);
    this.max = Math.max(this.max, max);
    this.area += area;
    this.covered += covered;
    this.sum += mean;
    this.n++;
    if (at >= this.lastAt) {
      this.last = last;
      this.lastAt = at;
    }
  }

  point(t: number): Point {
    return { t, min: this.min, max: this.max, avg: this.covered > 0 ? this.area / this.covered : this.sum / this.n, last: this.last };
  }
}

/** Whether a row holds data inside [from, to): a run that ended at `from` or starts at `to` does not. */
function inside(r: StoredRow, from: number, to: number): boolean {
  if (r.start >= to) return false;
  return r.start === r.end ? r.start >= from : r.end > from;
}

/** A stored row as both engines read it: start, end (null while open), last, capacity, min, max, area, covered, at_capacity. */
export type RowValues = [
  number,
  number | null,
  number,
  number | null,
  number | null,
  number | null,
  number | null,
  number | null,
  number | null,
];

/** Rows read as value arrays (in RowValues' order), as bucketize and the report take them; an open row ends at `until`. */
export function storedRows(values: readonly RowValues[], until: number | undefined): StoredRow[] {
  const out: StoredRow[] = [];
  for (const v of values) {
    const end = v[1];
    out.push({
      start: v[0],
      end: end ?? until ?? v[0],
      last: v[2],
      capacity: v[3],
      min: v[4],
      max: v[5],
      area: v[6],
      covered: v[7],
      atCapacity: v[8],
      open: end === null,
    });
  }
  return out;
}

/** Points of one series over [from, to), time order, empty buckets omitted. Rows must not overlap. */
export function bucketize(rows: readonly StoredRow[], from: number, to: number, step: number): Point[] {
  const buckets = new Map<number, Bucket>();
  const at = (t: number) => {
    const b = Math.floor(t / step) * step;
    let bucket = buckets.get(b);
    if (!bucket) {
      bucket = new Bucket();
      buckets.set(b, bucket);
    }
    return bucket;
  };
  for (const r of rows) {
    if (!inside(r, from, to)) continue;
    if (r.min !== null && r.max !== null && r.area !== null && r.covered !== null) {
      const mean = r.covered > 0 ? r.area / r.covered : r.last;
      at(Math.max(r.start, from)).add(r.min, r.max, r.area, r.covered, r.last, r.end, mean);
      continue;
    }
    const ps = Math.max(r.start, from);
    const pe = Math.min(r.end, to);
    if (ps === pe) {
      at(ps).add(r.last, r.last, 0, 0, r.last, pe, r.last);
      continue;
    }
    // A run is split at bucket edges; the instant it ends on an edge is not a sample of the next bucket.
    for (let b = Math.floor(ps / step) * step; b < pe; b += step) {
      const len = Math.min(pe, b + step) - Math.max(ps, b);
      at(b).add(r.last, r.last, r.last * len, len, r.last, Math.min(pe, b + step), r.last);
    }
    // The last refresh's instant is a sample, unless it is `to` itself, outside [from, to).
    if (r.open && pe === r.end && pe < to) at(pe).add(r.last, r.last, 0, 0, r.last, pe, r.last);
  }
  return [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([t, bucket]) => bucket.point(t));
}

/** The capacity last recorded within [from, to), or null. */
export function capacityOf(rows: readonly StoredRow[], from: number, to: number): number | null {
  for (let i = rows.length - 1; i >= 0; i--) if (inside(rows[i]!, from, to)) return rows[i]!.capacity;
  return null;
}
