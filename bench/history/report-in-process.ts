/**
 * GET /report's computation in the benchmark's process, on the year file: `store.report()` over the
 * whole span as the route calls it (the restored snapshot standing for the cache's current one),
 * for all rows and for one feature, then where its time goes: the row statement through drizzle,
 * the same statement through bun:sqlite alone, summarise() over the rows, demandOf() of the snapshot.
 */

import { demandOf } from "../../src/snapshot/demand.ts";
import type { Snapshot } from "../../src/snapshot/types.ts";
import { closeNow, openReadOnly } from "../../src/store/db.ts";
import { HistoryReader } from "../../src/store/reader.ts";
import type { ReportQuery } from "../../src/store/report.ts";
import { summarise } from "../../src/store/summary.ts";
import { int, ms, verdict } from "../lib/format.ts";
import { median, quantile, sortedCopy } from "../lib/statistics.ts";
import { ORG, TARGETS } from "./options.ts";
import { type EngineStore, openStore, type StoreLog } from "./store.ts";

export interface ReportCase {
  name: string;
  filter: ReportQuery["filter"];
  times: number[];
  json: number[];
  rows: number;
}

/** Times `fn` 10 + `requests` times, keeping the last `requests`. */
async function timed(requests: number, fn: () => unknown): Promise<number[]> {
  const times: number[] = [];
  for (let k = 0; k < 10 + requests; k++) {
    const t0 = performance.now();
    await fn();
    if (k >= 10) times.push(performance.now() - t0);
  }
  return times;
}

const p90 = (xs: number[]) => quantile(sortedCopy(xs), 0.9);

/** Where one report's time goes, read on a connection of its own (the same statements the store prepares). */
async function breakdown(dbPath: string, q: ReportQuery, current: Snapshot | undefined, requests: number) {
  const opened = openReadOnly(dbPath);
  if (!opened) throw new Error(`${dbPath}: not a history database`);
  const reader = new HistoryReader(opened.db, ORG);
  const matched = reader.series({ kind: "feature_in_use", filter: { ...q.filter } });
  const until = reader.observedUntil();
  const rowsOf = opened.sqlite.query(
    'SELECT start, "end", last, capacity, min, max, area, covered, at_capacity FROM samples WHERE series_id = ?1 AND start >= coalesce((SELECT max(s2.start) FROM samples s2 WHERE s2.series_id = ?1 AND s2.start <= ?2), ?2) AND start <= ?3 ORDER BY start',
  );
  const read = () => matched.map((s) => reader.rowsOf(s.id, q.from, q.to, until));
  const rows = read();
  const out = {
    series: matched.length,
    rows: rows.reduce((a, r) => a + r.length, 0),
    drizzle: median(await timed(requests, read)),
    raw: median(await timed(requests, () => matched.map((s) => rowsOf.all(s.id, q.from, q.to)))),
    summarise: median(await timed(requests, () => rows.map((r) => summarise(r, q.from, q.to)))),
    demand: median(await timed(requests, () => current && demandOf(current))),
  };
  closeNow(opened.sqlite);
  return out;
}

/** /report over the last `days` days: all rows, and one feature (both scopes); p50/p90 of `requests` sequential calls. */
export async function reportOfYear(dbPath: string, log: StoreLog, days: number, feature: string, requests: number) {
  const store = openStore(dbPath, log, Date.now);
  const current = store.restore();
  const cases = await reportCases(store, current, days, feature, requests);
  store.close();
  const to = Math.floor(Date.now() / 1000);
  const parts = await breakdown(dbPath, { from: to - days * 86_400, to, filter: {} }, current, requests);
  printReport(cases, parts, days, requests);
  return cases;
}

/** `store.report()` of either engine over the last `days` days, all rows and one feature, as the route calls it. */
export async function reportCases(
  store: EngineStore,
  current: Snapshot | undefined,
  days: number,
  feature: string,
  requests: number,
): Promise<ReportCase[]> {
  const to = Math.floor(Date.now() / 1000);
  const from = to - days * 86_400;
  const cases: ReportCase[] = [];
  for (const [name, filter] of [
    ["all rows (no filter)", {}],
    [`one feature (feature_name=${feature})`, { feature_name: feature }],
  ] as const) {
    const q = { from, to, filter };
    let rows = 0;
    const json: number[] = [];
    const times = await timed(requests, async () => {
      const report = await store.report(q, current);
      const t0 = performance.now();
      JSON.stringify(report);
      json.push(performance.now() - t0);
      rows = report.features.length;
    });
    cases.push({ name, filter, times, json: json.slice(10), rows });
  }
  return cases;
}

function printReport(cases: ReportCase[], parts: Awaited<ReturnType<typeof breakdown>>, days: number, requests: number): void {
  console.log(`### GET /report over ${days} days, in-process (\`store.report()\`)\n`);
  console.log(
    `\`await store.report({ from: now − ${days} d, to: now, filter }, restored snapshot)\` as the route calls it, then JSON.stringify of the report (timed apart, not included); ${requests} sequential calls after 10 warm-up ones.\n`,
  );
  console.log("| report | rows | p50 | p90 | JSON.stringify p50 | target p50 | verdict |");
  console.log("|---|---|---|---|---|---|---|");
  for (const c of cases)
    console.log(
      `| ${c.name} | ${c.rows} | **${ms(median(c.times), 1)}** | ${ms(p90(c.times), 1)} | ${ms(median(c.json), 2)} | < 200 ms | **${verdict(median(c.times) < TARGETS.reportMs)}** |`,
    );
  console.log();
  console.log("Where the time of the unfiltered report goes (medians, the same statements on a read-only connection):\n");
  console.log("| step | median |");
  console.log("|---|---|");
  console.log(
    `| rows of the ${parts.series} feature_in_use series through drizzle (\`HistoryReader.rowsOf\`, ${int(parts.rows)} rows) | ${ms(parts.drizzle, 1)} |`,
  );
  console.log(`| of which the row statement alone through bun:sqlite | ${ms(parts.raw, 1)} |`);
  console.log(`| \`summarise()\` of those rows | ${ms(parts.summarise, 1)} |`);
  console.log(`| \`demandOf()\` of the snapshot | ${ms(parts.demand, 2)} |\n`);
}
