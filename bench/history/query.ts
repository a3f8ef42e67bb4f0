/** GET /history of the real exporter process on the written file (CLS unreachable), query by query. */

import { startExporter } from "../lib/exporter.ts";
import { fixed, int, ms, verdict } from "../lib/format.ts";
import { progressOf } from "../lib/report.ts";
import { median, quantile, sortedCopy } from "../lib/statistics.ts";
import type { Fleet } from "./fleet.ts";
import { DEFAULTS, type HistoryOptions, INTERVAL_MS, ORG, TARGETS } from "./options.ts";

const progress = progressOf("history");

export interface HistoryCase {
  name: string;
  query: string;
  expectSeries: () => number;
  judged: boolean;
}

export interface HistoryResult {
  c: HistoryCase;
  times: number[];
  bytes: number;
  series: number;
  points: [number, number];
  step: number;
}

/** The queries: two judged against the target, two for context. */
export function historyCases(fleet: Fleet, firstMs: number, o: HistoryOptions): HistoryCase[] {
  const busy = fleet.busySeries();
  const enc = encodeURIComponent;
  const lastMs = firstMs + (o.refreshes - 1) * INTERVAL_MS;
  return [
    {
      name: "(a) 30 days of one series",
      query: `from=-30d&server_id=${enc(busy.serverId)}&feature_name=${enc(busy.featureName)}`,
      expectSeries: () => 1,
      judged: true,
    },
    {
      name: `(b) 30 days of every series of one feature ("${busy.featureName}")`,
      query: `from=-30d&feature_name=${enc(busy.featureName)}`,
      expectSeries: () => fleet.seriesOfFeatureBetween(busy.featureName, Date.now() - 30 * 86_400_000, lastMs),
      judged: true,
    },
    {
      name: "(context) 365 days of one series",
      query: `from=-365d&server_id=${enc(busy.serverId)}&feature_name=${enc(busy.featureName)}`,
      expectSeries: () => 1,
      judged: false,
    },
    { name: "(context) 30 days of every entitlement", query: "kind=entitlement_in_use&from=-30d", expectSeries: () => -1, judged: false },
  ];
}

/** The exporter's env on `dbPath`: production defaults, CLS at a closed port of 127.0.0.1. */
export const historyExporterEnv = (closedPort: number, dbPath: string) => ({
  NVIDIA_API_BASE_URL: `http://127.0.0.1:${closedPort}`,
  CACHE_TTL: DEFAULTS.CACHE_TTL!,
  DB_PATH: dbPath,
});

async function timedGet(url: string): Promise<{ dt: number; text: string }> {
  const t0 = performance.now();
  const res = await fetch(url);
  const text = await res.text();
  const dt = performance.now() - t0;
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${text.slice(0, 300)}`);
  return { dt, text };
}

/** `requests` sequential GETs of one query after 10 warm-up; checks the answer holds the series expected. */
async function measureCase(base: string, c: HistoryCase, requests: number): Promise<HistoryResult> {
  const url = `${base}/history?${c.query}`;
  for (let w = 0; w < 10; w++) await timedGet(url);
  const times: number[] = [];
  let text = "";
  for (let r = 0; r < requests; r++) {
    const got = await timedGet(url);
    times.push(got.dt);
    text = got.text;
  }
  const body = JSON.parse(text) as { step_seconds: number; series: { points: unknown[] }[] };
  const lengths = body.series.map((s) => s.points.length);
  const want = c.expectSeries();
  if ((want >= 0 && body.series.length !== want) || lengths.some((n) => n === 0) || body.series.length === 0) {
    throw new Error(
      `${c.name}: expected ${want >= 0 ? want : "some"} series with points, got ${body.series.length} (points ${lengths.join(",")})`,
    );
  }
  progress(`/history ${c.name}: p50 ${fixed(median(times), 2)} ms`);
  const points: [number, number] = [Math.min(...lengths), Math.max(...lengths)];
  return { c, times, bytes: text.length, series: body.series.length, points, step: body.step_seconds };
}

/** Starts the exporter on `dbPath`, measures every case, stops it, and reports. */
export async function historyOverHttp(
  cases: HistoryCase[],
  dbPath: string,
  closedPort: number,
  requests: number,
): Promise<HistoryResult[]> {
  progress(`starting the exporter on ${dbPath} (CLS at the closed port ${closedPort})`);
  const env = historyExporterEnv(closedPort, dbPath);
  const exporter = await startExporter(env.NVIDIA_API_BASE_URL, ORG, env, { waitFor: "listening" });
  const results: HistoryResult[] = [];
  for (const c of cases) results.push(await measureCase(exporter.url, c, requests));
  exporter.child.kill();
  await exporter.child.exited;
  reportHistory(results, requests);
  return results;
}

function reportHistory(results: HistoryResult[], requests: number): void {
  console.log(`### GET /history of the exporter process (CLS unreachable), ${requests} sequential requests after 10 warm-up\n`);
  console.log("| query | p50 | p90 | max | series | points per series | step | body | target p50 < 50 ms |");
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const r of results) {
    const s = sortedCopy(r.times);
    const judged = verdict(median(r.times) < TARGETS.historyMs);
    const points = r.points[0] === r.points[1] ? r.points[0] : `${r.points[0]}–${r.points[1]}`;
    console.log(
      `| ${r.c.name}: \`?${decodeURIComponent(r.c.query)}\` | **${ms(median(r.times))}** | ${ms(quantile(s, 0.9))} | ${ms(s[s.length - 1]!)} | ${r.series} | ${points} | ${r.step} s | ${int(r.bytes)} B | ${r.c.judged ? `**${judged}**` : `(${judged})`} |`,
    );
  }
  console.log();
}
