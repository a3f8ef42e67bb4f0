/**
 * Context for bench/history.ts: the worst case, every series changing on every refresh, written
 * over a short span with HISTORY_RAW_RETENTION 1d so that roll-up happens within it, then
 * extrapolated to a year with production's retention.
 */

import { Database } from "bun:sqlite";
import { fixed, int, mb, ms, verdict } from "../lib/format.ts";
import { progressOf } from "../lib/report.ts";
import { quantile, sortedCopy } from "../lib/statistics.ts";
import { type DbFacts, dbFacts } from "./db-facts.ts";
import { Fleet } from "./fleet.ts";
import { INTERVAL_MS, RAW_RETENTION_S, TARGETS } from "./options.ts";
import type { StoreLog } from "./store.ts";
import { type WriteRun, writeHistory } from "./write.ts";

const progress = progressOf("history");

/** Bytes per series-hour of the samples table: raw from day 1 (nothing rolled yet), rolled up from the end state minus its raw part. */
function bytesPerSeriesHour(w: WriteRun, wf: DbFacts, series: number) {
  const samplesEnd = wf.tables.find((t) => t.name === "samples")?.bytes ?? 0;
  const raw = w.probes[0]!.samplesBytes / (series * 24);
  const rolledHours = wf.rolledUntil && wf.firstStart ? (wf.rolledUntil - Math.floor(wf.firstStart / 3_600) * 3_600) / 3_600 : 0;
  const rawHoursEnd = wf.rolledUntil ? ((wf.observedUntil ?? 0) - wf.rolledUntil) / 3_600 : 0;
  const rolled = rolledHours > 0 ? (samplesEnd - raw * series * rawHoursEnd) / (series * rolledHours) : Number.NaN;
  return { raw, rolled, rolledHours };
}

function rowsBefore(path: string, start: number): number {
  const db = new Database(path, { readonly: true });
  const n = (db.query("SELECT count(*) AS n FROM samples WHERE start < ?").get(start) as { n: number }).n;
  db.close();
  return n;
}

/** Writes `days` of the worst case to `path` and reports it; returns the summary line. */
export function worstCase(path: string, days: number, seed: number, log: StoreLog): string {
  const n = days * 1_440;
  const firstMs = Date.now() - (n - 1) * INTERVAL_MS;
  const fleet = new Fleet({ seed, firstMs, refreshes: n, worst: true });
  progress(`worst case: ${n} refreshes, every series changing every refresh, HISTORY_RAW_RETENTION 1d`);
  const w = writeHistory({ path, fleet, firstMs, refreshes: n, rawRetentionS: 86_400, label: "worst", log, probeAt: [1_439] });
  const wf = dbFacts(path);
  const rec = sortedCopy(w.recordMs);
  const steps = sortedCopy(w.stepMs);
  // feature_in_use rows are in the samples table too: the per-series figures divide by every kind.
  const c = w.counts.present;
  const series = c.active_leases! + c.entitlement_in_use! + c.pool_in_use! + (c.feature_in_use ?? 0);
  const day1 = w.probes[0]!;
  const perHour = bytesPerSeriesHour(w, wf, series);
  const rolledRegionRows = rowsBefore(path, wf.rolledUntil ?? 0);
  const rawDays = RAW_RETENTION_S / 86_400;
  const yearDays = 365;
  const extrapolated = series * 24 * (rawDays * perHour.raw + (yearDays - rawDays) * perHour.rolled);
  console.log(
    `### Context: the worst case, every series changing on every refresh (${days} days measured, HISTORY_RAW_RETENTION 1d so roll-up is exercised; extrapolated)\n`,
  );
  console.log(
    `Same org and labels; each value is 2 × its modelled value + (refresh number mod 2), so all ${series} series change on all ${int(n)} refreshes.\n`,
  );
  console.log("| | figure |");
  console.log("|---|---|");
  console.log(
    `| \`record()\` p50 / p90 / p99 / max | **${ms(quantile(rec, 0.5), 2)}** / ${ms(quantile(rec, 0.9), 2)} / ${ms(quantile(rec, 0.99), 2)} / ${ms(rec[rec.length - 1]!, 1)} |`,
  );
  console.log(
    `| \`maintain()\` step p50 / max (roll-up of ${series} × 60 rows per hour) | ${ms(quantile(steps, 0.5), 2)} / ${ms(steps[steps.length - 1]!, 1)} |`,
  );
  console.log(
    `| \`samples\` after day 1 (all raw) | ${mb(day1.samplesBytes)}, ${int(day1.rows)} rows, ${fixed(day1.samplesBytes / day1.rows, 1)} B per row, ${fixed((perHour.raw * 24) / 1e3, 1)} kB per series per day |`,
  );
  console.log(
    `| \`Retention.firstHour()\`'s min(start) over the whole samples table (one step runs it once, when roll-up first starts), at ${int(day1.rows)} rows | ${ms(day1.firstHourMs, 1)} (with 8 d raw about ${int((day1.rows * RAW_RETENTION_S) / 86_400)} rows by then) |`,
  );
  console.log(
    `| database after ${days} days | ${mb(wf.fileBytes)} checkpointed (close() left ${mb(wf.leftMain)} + WAL ${mb(wf.leftWal)}); ${int(wf.samples)} rows (${int(wf.rawRows)} raw, ${int(wf.rolledRows)} rolled up); ${fixed(rolledRegionRows / (series * perHour.rolledHours), 2)} rows per series-hour in the rolled-up hours (one summary row plus the row crossing the hour edge), ${fixed((perHour.rolled * 24) / 1e3, 2)} kB per series per day there (samples bytes at the end minus the raw hours at day 1's rate) |`,
  );
  console.log(
    `| **extrapolated: ${series} series for ${yearDays} days** (${rawDays} d raw + ${yearDays - rawDays} d rolled up, production retention) | **${mb(extrapolated)}** (${verdict(extrapolated < TARGETS.sizeBytes)} against the 100 MB target, context only) |\n`,
  );
  return `${mb(extrapolated)} extrapolated, record() p50 ${ms(quantile(rec, 0.5), 2)}`;
}
