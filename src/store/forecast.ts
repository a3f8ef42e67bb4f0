/**
 * The report's forecast: a least-squares line through the daily peaks (UTC days), and the first
 * day it reaches the seats bought (README "Report").
 */

/** Fewer UTC days with data than this give no forecast: a line through a few days is noise. */
export const FORECAST_MIN_DAYS = 7;
/** A capacity date further than this after the last day with data is not given. */
export const FORECAST_HORIZON_DAYS = 730;

export interface Forecast {
  /** Seats per day; null with fewer than FORECAST_MIN_DAYS days. */
  trendPerDay: number | null;
  /** Day number since the epoch (UTC), or null. */
  reachedDay: number | null;
}

/**
 * From the last day with data on, the first day the line is at or above `seats`: that day itself
 * when the line is already there, null when it is not within FORECAST_HORIZON_DAYS (or falls).
 */
export function forecastOf(dailyPeaks: ReadonlyMap<number, number>, seats: number | null): Forecast {
  const n = dailyPeaks.size;
  if (n < FORECAST_MIN_DAYS) return { trendPerDay: null, reachedDay: null };
  let sx = 0;
  let sy = 0;
  for (const [x, y] of dailyPeaks) {
    sx += x;
    sy += y;
  }
  const xm = sx / n;
  const ym = sy / n;
  let sxy = 0;
  let sxx = 0;
  let lastDay = Number.NEGATIVE_INFINITY;
  for (const [x, y] of dailyPeaks) {
    sxy += (x - xm) * (y - ym);
    sxx += (x - xm) ** 2;
    lastDay = Math.max(lastDay, x);
  }
  const slope = sxy / sxx;
  const at = (day: number) => ym + slope * (day - xm);
  return { trendPerDay: slope, reachedDay: reachedDay(at, slope, lastDay, seats) };
}

function reachedDay(at: (day: number) => number, slope: number, lastDay: number, seats: number | null): number | null {
  if (seats === null || seats <= 0) return null;
  if (at(lastDay) >= seats) return lastDay;
  if (slope <= 0) return null;
  // The line's crossing, rounded up to a whole day; the tolerance keeps an exact crossing on its day.
  const day = Math.ceil(lastDay + (seats - at(lastDay)) / slope - 1e-9);
  return day - lastDay <= FORECAST_HORIZON_DAYS ? day : null;
}
