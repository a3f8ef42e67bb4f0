/** The statistics the benchmarks report: medians, nearest-rank percentiles and ratios of medians. */

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Nearest-rank quantile `q` (0..1) of values already sorted ascending; NaN when there are none. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Nearest-rank percentile of unsorted values (`q` 0..1); NaN when there are none. */
export const percentile = (xs: ArrayLike<number>, q: number): number => quantile(sortedCopy(xs), q);

/** A sorted copy in a Float64Array: numeric order, and compact for the hundreds of thousands of samples of a year. */
export const sortedCopy = (xs: ArrayLike<number>): Float64Array => Float64Array.from(xs).sort();

/** median(a) ÷ median(b): how the benchmarks compare two setups measured over the same rounds. */
export const ratioOfMedians = (a: readonly number[], b: readonly number[]): number => median(a) / median(b);
