import { describe, expect, test } from "bun:test";
import type { StoredRow } from "../../src/store/buckets.ts";
import { FORECAST_HORIZON_DAYS, forecastOf } from "../../src/store/forecast.ts";
import { recommendedSeats } from "../../src/store/report-read.ts";
import { DAY, summarise, weightedQuantile } from "../../src/store/summary.ts";
import { rawRow } from "./helpers.ts";

const D0 = 20_000 * DAY; // a UTC midnight
const raw = rawRow;

describe("summarise", () => {
  test("time at capacity counts use at or above the seats, never an idle feature with no seats", () => {
    const cases: [StoredRow[], number][] = [
      [[raw(D0, D0 + 100, 10)], 100],
      [[raw(D0, D0 + 100, 12)], 100],
      [[raw(D0, D0 + 100, 9)], 0],
      [[raw(D0, D0 + 100, 0, 0)], 0],
      [[raw(D0, D0 + 100, 1, 0)], 100],
      [[raw(D0, D0 + 100, 5, null)], 0],
      [[raw(D0, D0 + 60, 9), raw(D0 + 60, D0 + 90, 10), raw(D0 + 90, D0 + 100, 9)], 30],
    ];
    for (const [rows, seconds] of cases) expect(summarise(rows, D0, D0 + 1000)!.atCapacityS).toBe(seconds);
  });

  test("p95 and average are weighted by time, not by rows", () => {
    const rows = [raw(D0, D0 + 95, 1), raw(D0 + 95, D0 + 100, 10)];
    const s = summarise(rows, D0, D0 + 100)!;
    expect(s.avg).toBeCloseTo((95 + 50) / 100, 10);
    expect(s.p95).toBe(1);
    const heavier = summarise([raw(D0, D0 + 94, 1), raw(D0 + 94, D0 + 100, 10)], D0, D0 + 100)!;
    expect(heavier.p95).toBe(10);
    // Many short rows of a high value do not outweigh one long row of a low one.
    const many = [raw(D0, D0 + 1000, 2), ...Array.from({ length: 20 }, (_, i) => raw(D0 + 1000 + i, D0 + 1001 + i, 9))];
    expect(summarise(many, D0, D0 + 2000)!.p95).toBe(2);
  });

  test("rows are cut at the range's edges; the peak is the first time the highest value was reached", () => {
    const rows = [raw(D0, D0 + 200, 4), raw(D0 + 200, D0 + 300, 7), raw(D0 + 300, D0 + 400, 3), raw(D0 + 400, D0 + 500, 7)];
    const s = summarise(rows, D0 + 100, D0 + 450)!;
    expect(s.peak).toBe(7);
    expect(s.peakAt).toBe(D0 + 200);
    expect(s.avg).toBeCloseTo((4 * 100 + 7 * 100 + 3 * 100 + 7 * 50) / 350, 10);
    expect([s.last, s.capacity]).toEqual([7, 10]);
    expect(summarise(rows, D0 + 500, D0 + 600)).toBeUndefined();
  });

  test("a rolled-up hour keeps its peak (dated to the hour), its seconds at capacity and its average", () => {
    const h = D0 + 7200;
    const rolled: StoredRow = {
      start: h + 125,
      end: h + 3500,
      last: 6,
      capacity: 10,
      min: 2,
      max: 11,
      area: 3000 * 5,
      covered: 3000,
      atCapacity: 420,
    };
    const s = summarise([raw(D0, h + 60, 3), rolled], D0, D0 + DAY)!;
    expect(s.peak).toBe(11);
    expect(s.peakAt).toBe(h);
    expect(s.atCapacityS).toBe(420);
    expect(s.avg).toBeCloseTo((3 * 7260 + 15_000) / (7260 + 3000), 10);
    // An hour rolled up before at_capacity existed counts only when all of it was at capacity.
    expect(summarise([{ ...rolled, atCapacity: null }], D0, D0 + DAY)!.atCapacityS).toBe(0);
    expect(summarise([{ ...rolled, min: 10, atCapacity: null }], D0, D0 + DAY)!.atCapacityS).toBe(3000);
  });

  test("daily peaks cover every UTC day a run spans; a lone refresh gives the figures of its instant", () => {
    const s = summarise([raw(D0 + 3600, D0 + 3 * DAY + 10, 5), raw(D0 + 3 * DAY + 10, D0 + 3 * DAY + 20, 8)], D0, D0 + 10 * DAY)!;
    expect([...s.dailyPeaks]).toEqual([
      [D0 / DAY, 5],
      [D0 / DAY + 1, 5],
      [D0 / DAY + 2, 5],
      [D0 / DAY + 3, 8],
    ]);
    const lone = summarise([raw(D0 + 50, D0 + 50, 4)], D0, D0 + 100)!;
    expect([lone.peak, lone.p95, lone.avg, lone.atCapacityS]).toEqual([4, 4, 4, 0]);
  });

  test("weightedQuantile", () => {
    expect(weightedQuantile(new Map(), 0.95)).toBeUndefined();
    expect(weightedQuantile(new Map([[3, 1]]), 0.95)).toBe(3);
    expect(
      weightedQuantile(
        new Map([
          [1, 50],
          [2, 45],
          [3, 5],
        ]),
        0.95,
      ),
    ).toBe(2);
  });
});

describe("forecastOf", () => {
  const days = (peaks: number[], first = 20_000) => new Map(peaks.map((p, i) => [first + i, p]));

  test("a line through the daily peaks and the first day it reaches the seats", () => {
    const f = forecastOf(days([10, 11, 12, 13, 14, 15, 16]), 20);
    expect(f.trendPerDay).toBeCloseTo(1, 10);
    expect(f.reachedDay).toBe(20_006 + 4);
    // A crossing between two days is the next whole day.
    expect(forecastOf(days([10, 11, 12, 13, 14, 15, 16]), 19.5).reachedDay).toBe(20_006 + 4);
  });

  test("fewer than 7 days give nothing; a flat or falling line never reaches; already there is the last day", () => {
    expect(forecastOf(days([1, 2, 3, 4, 5, 6]), 10)).toEqual({ trendPerDay: null, reachedDay: null });
    expect(forecastOf(days([5, 5, 5, 5, 5, 5, 5]), 10)).toEqual({ trendPerDay: 0, reachedDay: null });
    expect(forecastOf(days([9, 8, 7, 6, 5, 4, 3]), 10).reachedDay).toBeNull();
    expect(forecastOf(days([10, 11, 12, 13, 14, 15, 16]), 12).reachedDay).toBe(20_006);
    expect(forecastOf(days([10, 11, 12, 13, 14, 15, 16]), null).reachedDay).toBeNull();
    expect(forecastOf(days([10, 11, 12, 13, 14, 15, 16]), 0).reachedDay).toBeNull();
  });

  test("a date further than two years out is not given; days with no data are not zeros", () => {
    const slow = days([0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06]);
    expect(forecastOf(slow, 0.06 + 0.01 * FORECAST_HORIZON_DAYS).reachedDay).toBe(20_006 + FORECAST_HORIZON_DAYS);
    expect(forecastOf(slow, 0.06 + 0.01 * (FORECAST_HORIZON_DAYS + 1)).reachedDay).toBeNull();
    const gappy = new Map([0, 1, 2, 10, 11, 12, 13].map((d) => [20_000 + d, 10 + d]));
    expect(forecastOf(gappy, 100).trendPerDay).toBeCloseTo(1, 10);
  });
});

test("recommended seats: the peak plus 10 %, rounded up to a whole seat", () => {
  expect([0, 1, 5, 10, 20, 72, 200].map(recommendedSeats)).toEqual([0, 2, 6, 11, 22, 80, 220]);
});
