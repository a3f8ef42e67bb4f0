/** The write phase of bench/history.ts in Markdown: the churn the model produced, the cost of writing it, the file it left. */

import { fixed, int, mb, minSec, ms, verdict } from "../lib/format.ts";
import { median, quantile, sortedCopy } from "../lib/statistics.ts";
import { type DbFacts, diskBytes } from "./db-facts.ts";
import type { FleetCounts } from "./fleet.ts";
import { type HistoryOptions, RAW_RETENTION_S, RETENTION_S, TARGETS } from "./options.ts";
import type { WriteRun } from "./write.ts";

const seriesIn = (r: Record<string, number>) => r.active_leases! + r.entitlement_in_use! + r.pool_in_use! + (r.feature_in_use ?? 0);

export function reportChurn(c: FleetCounts, year: WriteRun, o: HistoryOptions): void {
  console.log("### Churn model (bench/history/fleet.ts)\n");
  console.log(
    `Series at the end: ${c.present.active_leases} active_leases + ${c.present.entitlement_in_use} entitlement_in_use + ${c.present.pool_in_use} pool_in_use + ${c.present.feature_in_use ?? 0} feature_in_use = **${seriesIn(c.present)}**; distinct over the span: ${c.distinct.active_leases} + ${c.distinct.entitlement_in_use} + ${c.distinct.pool_in_use} + ${c.distinct.feature_in_use ?? 0} = ${seriesIn(c.distinct)} (servers added, retired; keys replaced at renewal). feature_in_use (demand per virtual group × feature and per feature across the org) is derived by the store from the same snapshot; the profile table below counts the modelled series only.\n`,
  );
  console.log("| profile | series at the end | value or capacity changes per series per day (60 s resolution) |");
  console.log("|---|---|---|");
  let changes = 0;
  let seriesDays = 0;
  let modelled = 0;
  for (const name of ["office", "engineering", "light", "compute", "idle", "entitlement", "pool"]) {
    const p = c.profiles[name];
    if (!p) continue;
    changes += p.changes;
    seriesDays += p.seriesDays;
    modelled += p.present;
    console.log(`| ${name} | ${p.present} | ${fixed(p.changes / p.seriesDays, 2)} |`);
  }
  console.log(
    `| **all modelled** | ${modelled} | **${fixed(changes / seriesDays, 2)}** (${int(changes)} changes over ${int(seriesDays)} series-days) |\n`,
  );
  const busyRefreshes = year.changes.reduce((a, n) => a + (n > 0 ? 1 : 0), 0);
  console.log(
    `Refreshes with at least one change: ${fixed((busyRefreshes / o.refreshes) * 100, 1)} %; most changes in one refresh: ${Math.max(...year.changes)}.\n`,
  );
}

/** "| label | p50 | p90 | p99 | max | count |" of sorted values. */
function quantileRow(label: string, s: Float64Array, count: string, p50 = ms(quantile(s, 0.5), 3)): string {
  return `| ${label} | ${p50} | ${ms(quantile(s, 0.9), 3)} | ${ms(quantile(s, 0.99), 3)} | ${ms(s[s.length - 1] ?? 0, 1)} | ${count} |`;
}

export function reportWriteCost(year: WriteRun, o: HistoryOptions, storeProblems: number): void {
  const all = sortedCopy(year.recordMs);
  const lastN = Math.min(o.refreshes, 7 * 1_440);
  const changed: number[] = [];
  const quiet: number[] = [];
  for (let i = 0; i < year.recordMs.length; i++) (year.changes[i]! > 0 ? changed : quiet).push(year.recordMs[i]!);
  console.log("### Write cost: `record()` per refresh and `maintain()` per step\n");
  console.log(
    `Wall time of the write phase: ${minSec(year.wallMs / 1000)} for ${int(o.refreshes)} refreshes (${fixed(year.wallMs / o.refreshes, 3)} ms each, of which ${fixed(year.fleetMs / o.refreshes, 3)} ms generating the snapshot). Store write errors: ${year.writeErrors}; store log lines at warn or above: ${storeProblems}.\n`,
  );
  console.log("| `record()` wall time | p50 | p90 | p99 | max | refreshes |");
  console.log("|---|---|---|---|---|---|");
  console.log(quantileRow("whole span", all, int(all.length), `**${ms(quantile(all, 0.5), 3)}**`));
  const last = sortedCopy(year.recordMs.subarray(o.refreshes - lastN));
  console.log(quantileRow(`last ${lastN / 1_440} days`, last, int(last.length)));
  console.log(quantileRow("refreshes with ≥ 1 change", sortedCopy(changed), int(changed.length)));
  console.log(`${quantileRow("refreshes with no change", sortedCopy(quiet), int(quiet.length))}\n`);
  console.log(
    `Inside record(), measured apart on every 97th snapshot: \`encodeSnapshot()\` (the JSON of the ${int(year.snapshotBytes)}-byte snapshot row rewritten on every refresh) median ${ms(median(year.encodeMs), 3)}; ` +
      `\`observe()\` plus the per-series label JSON the writer builds, median ${ms(median(year.observeMs), 3)}. The rest is SQLite (upsert of the snapshot row, \`observed_until\`, changed rows) and the page-count query.\n`,
  );
  reportMaintain(year);
  const wcharNote = Number.isFinite(year.wchar)
    ? `The process handed ${mb(year.wchar)} to write() during the write phase (WAL frames and checkpoints), ${fixed(year.wchar / o.refreshes / 1024, 1)} KiB per refresh; the largest WAL seen at a day's end was ${mb(year.maxWal)}.`
    : "";
  console.log(`${wcharNote}\n`);
}

function reportMaintain(year: WriteRun): void {
  const steps = sortedCopy(year.stepMs);
  const early = sortedCopy(year.stepMs.slice(0, year.earlySteps));
  const later = sortedCopy(year.stepMs.slice(year.earlySteps));
  console.log("| `maintain()` | p50 | p90 | p99 | max | count |");
  console.log("|---|---|---|---|---|---|");
  console.log(quantileRow("one step (the event loop is free between steps)", steps, `${int(steps.length)} steps`));
  if (early.length > 0 && later.length > 0) {
    console.log(
      quantileRow(`one step, first ${RAW_RETENTION_S / 86_400 + 1} days (nothing to roll up yet)`, early, `${int(early.length)} steps`),
    );
    console.log(quantileRow("one step, after that", later, `${int(later.length)} steps`));
  }
  const runs = sortedCopy(year.runMs);
  const runsCount = `${int(runs.length)} runs, at most ${year.maxStepsInRun} steps in one`;
  console.log(`${quantileRow("one 5-minute run (its steps back to back)", runs, runsCount)}\n`);
}

export function reportSize(facts: DbFacts, year: WriteRun | undefined, o: HistoryOptions): void {
  const seriesDays = year ? Object.values(year.counts.profiles).reduce((a, p) => a + p.seriesDays, 0) : Number.NaN;
  const total = diskBytes(facts);
  console.log("### Database size after the span\n");
  console.log(
    "| as `close()` left it: main file + WAL | main file after an explicit checkpoint | pages (free) | rows in `samples` (raw / rolled-up / open) | series | bytes per series per day | target < 100 MB |",
  );
  console.log("|---|---|---|---|---|---|---|");
  console.log(
    `| **${mb(facts.leftMain + facts.leftWal)}** = ${mb(facts.leftMain)} + ${mb(facts.leftWal)} | ${mb(facts.fileBytes)} (${int(facts.fileBytes)} B; WAL then ${int(facts.walBytes)} B) | ${int(facts.pages)} × ${facts.pageSize} B (${int(facts.freePages)} free) | ${int(facts.samples)} (${int(facts.rawRows)} / ${int(facts.rolledRows)} / ${int(facts.openRows)}) | ${facts.series} | ${Number.isFinite(seriesDays) ? fixed(facts.fileBytes / seriesDays, 0) : "–"} | **${verdict(total < TARGETS.sizeBytes)}** |\n`,
  );
  const closeNote =
    facts.leftWal > 0
      ? `\`close()\` left a WAL of ${mb(facts.leftWal)} behind (it did not checkpoint)`
      : "`close()` checkpointed: it left no WAL";
  console.log(
    `The verdict uses the larger of the two (${mb(total)}); ${closeNote}. Bytes per series per day: the checkpointed main file over the series-days observed.\n`,
  );
  const iso = (s: number | undefined) => (s ? new Date(s * 1000).toISOString() : "–");
  console.log(
    `By table (dbstat): ${facts.tables.map((t) => `${t.name} ${mb(t.bytes)}`).join(", ")}. Rolled up until ${iso(facts.rolledUntil)}; oldest row starts ${iso(facts.firstStart)}.\n`,
  );
  if (year && year.dailyBytes.length > 40) reportGrowth(year.dailyBytes, facts, o.refreshes / 1_440);
}

function reportGrowth(d: number[], facts: DbFacts, spanDays: number): void {
  const span = Math.min(100, d.length - 20);
  const perDay = (d[d.length - 1]! - d[d.length - 1 - span]!) / span;
  const retentionDays = RETENTION_S / 86_400;
  const toRetention = retentionDays - spanDays;
  if (toRetention > 0) {
    console.log(
      `Growth over the last ${span} days: ${mb(perDay)} per day. The file keeps growing until the retention (${retentionDays} d) is reached: about ${mb(facts.fileBytes + toRetention * perDay)} at ${retentionDays} days, then flat (extrapolated).\n`,
    );
  } else {
    console.log(`Growth over the last ${span} days: ${mb(perDay)} per day (the retention of ${retentionDays} d is reached).\n`);
  }
}
