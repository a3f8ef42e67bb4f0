import type { Labels } from "./types.ts";

/** Label values are never empty: CLS leaves fields out, and an empty label means "no label". */
export const v = (value: string | undefined): string => (value === undefined || value.trim() === "" ? "unknown" : value);

/** Rows that share a label set are one series: their numbers add up instead of overwriting. */
export class Rows<R extends { labels: Labels }> {
  private readonly byKey = new Map<string, R>();
  /** Returns the row that now holds the numbers (an earlier one with the same labels, or `row`). */
  add(row: R, merge: (into: R, row: R) => void): R {
    const key = JSON.stringify(row.labels);
    const have = this.byKey.get(key);
    if (!have) {
      this.byKey.set(key, row);
      return row;
    }
    merge(have, row);
    return have;
  }
  list(): R[] {
    return [...this.byKey.values()];
  }
}

export const sum = (a: number | undefined, b: number | undefined) => (a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0));

/** The smaller (or larger) of two numbers either of which may be unreported. */
export const least = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.min(a, b));
export const most = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.max(a, b));
