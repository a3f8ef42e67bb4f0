import { describe, expect, test } from "bun:test";
import { bucketize, capacityOf, type StoredRow } from "../../src/store/buckets.ts";
import { rawRow } from "./helpers.ts";

const raw = rawRow;
const rolled = (start: number, end: number, o: { min: number; max: number; area: number; covered: number; last: number }): StoredRow => ({
  start,
  end,
  capacity: 10,
  ...o,
});

describe("bucketize", () => {
  test("a run is split at bucket edges and each part weighs by its length", () => {
    // 2 from 0 to 150, then 4 from 150 to 200.
    const points = bucketize([raw(0, 150, 2), raw(150, 200, 4)], 0, 200, 100);
    expect(points).toEqual([
      { t: 0, min: 2, max: 2, avg: 2, last: 2 },
      { t: 100, min: 2, max: 4, avg: 3, last: 4 },
    ]);
  });

  test("buckets are aligned to the epoch, not to `from`, and data outside [from, to] is ignored", () => {
    const points = bucketize([raw(0, 1000, 7)], 250, 320, 100);
    expect(points).toEqual([
      { t: 200, min: 7, max: 7, avg: 7, last: 7 },
      { t: 300, min: 7, max: 7, avg: 7, last: 7 },
    ]);
  });

  test("empty buckets are omitted (a gap while nothing was observed)", () => {
    const points = bucketize([raw(0, 50, 1), raw(400, 450, 3)], 0, 500, 100);
    expect(points.map((p) => p.t)).toEqual([0, 400]);
  });

  test("a run ending exactly on an edge adds nothing to the next bucket", () => {
    expect(bucketize([raw(0, 100, 5)], 0, 1000, 100).map((p) => p.t)).toEqual([0]);
  });

  test("an instant (a run just opened) counts for min, max and last; avg falls back to the mean of instants", () => {
    expect(bucketize([raw(120, 120, 6)], 0, 1000, 100)).toEqual([{ t: 100, min: 6, max: 6, avg: 6, last: 6 }]);
    expect(bucketize([raw(110, 110, 1), raw(120, 120, 4)], 0, 1000, 100)).toEqual([{ t: 100, min: 1, max: 4, avg: 2.5, last: 4 }]);
    // With a duration in the same bucket, the instant does not weigh in the average.
    expect(bucketize([raw(100, 150, 2), raw(150, 150, 8)], 0, 1000, 100)).toEqual([{ t: 100, min: 2, max: 8, avg: 2, last: 8 }]);
  });

  test("a rolled-up hour goes whole into the bucket of its start", () => {
    const hour = rolled(3600, 7000, { min: 1, max: 9, area: 5 * 3000, covered: 3000, last: 4 });
    expect(bucketize([hour, raw(7200, 10_800, 2)], 0, 20_000, 7200)).toEqual([
      { t: 0, min: 1, max: 9, avg: 5, last: 4 },
      { t: 7200, min: 2, max: 2, avg: 2, last: 2 },
    ]);
  });

  test("the range is [from, to): a run that ended at from, or starts at to, adds nothing", () => {
    expect(bucketize([raw(0, 3600, 9), raw(3600, 3600, 4)], 3600, 7200, 3600)).toEqual([{ t: 3600, min: 4, max: 4, avg: 4, last: 4 }]);
    const hour = rolled(0, 3600, { min: 3, max: 20, area: 30_000, covered: 3600, last: 3 });
    expect(bucketize([hour, raw(3600, 7200, 3)], 3600, 7200, 3600)).toEqual([{ t: 3600, min: 3, max: 3, avg: 3, last: 3 }]);
    expect(bucketize([raw(0, 3600, 1), raw(3600, 3600, 2)], 0, 3600, 3600)).toEqual([{ t: 0, min: 1, max: 1, avg: 1, last: 1 }]);
    expect(capacityOf([raw(0, 100, 1, 10), raw(100, 200, 1, 12)], 0, 100)).toBe(10);
  });

  test("the last refresh's value counts at its instant, also when that opens a bucket", () => {
    expect(bucketize([{ ...raw(0, 3600, 5), open: true }], 0, 7200, 3600).map((p) => [p.t, p.last])).toEqual([
      [0, 5],
      [3600, 5],
    ]);
    expect(bucketize([{ ...raw(0, 3000, 5), open: true }], 0, 7200, 3600)).toEqual([{ t: 0, min: 5, max: 5, avg: 5, last: 5 }]);
  });

  test("a last refresh exactly at `to` is outside [from, to): no point there", () => {
    expect(bucketize([{ ...raw(0, 3600, 5), open: true }], 0, 3600, 3600).map((p) => p.t)).toEqual([0]);
  });

  test("points come in time order", () => {
    const rows = [raw(500, 600, 1), raw(0, 100, 2)];
    expect(bucketize(rows, 0, 1000, 100).map((p) => p.t)).toEqual([0, 500]);
  });
});

describe("capacityOf", () => {
  test("the capacity of the last row inside the range", () => {
    const rows = [raw(0, 100, 1, 10), raw(100, 200, 1, 12), raw(300, 400, 1, 20)];
    expect(capacityOf(rows, 0, 250)).toBe(12);
    expect(capacityOf(rows, 0, 1000)).toBe(20);
    expect(capacityOf(rows, 500, 1000)).toBeNull();
  });
});
