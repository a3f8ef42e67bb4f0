/**
 * The same measurements on either engine, through the store production opens (in-process, no
 * HTTP): open and load, the /history query set of query.ts parsed as the route parses it, /report
 * over the span (report-in-process.ts), then record() of further refreshes on top of the year. The
 * further refreshes come from a fleet of the year's seed and length whose first refresh follows the
 * year's last by 60 s, so both engines record the same snapshots; the clock is the snapshots' own.
 */

import { parseHistoryQuery } from "../../src/http/history-query.ts";
import { fixed } from "../lib/format.ts";
import { progressOf } from "../lib/report.ts";
import { median } from "../lib/statistics.ts";
import { Fleet } from "./fleet.ts";
import { INTERVAL_MS } from "./options.ts";
import type { HistoryCase } from "./query.ts";
import { timedQuery } from "./query-in-process.ts";
import { type ReportCase, reportCases } from "./report-in-process.ts";
import type { EngineStore } from "./store.ts";

const progress = progressOf("history");

export interface EngineRun {
  cases: HistoryCase[];
  feature: string;
  days: number;
  requests: number;
  seed: number;
  /** Refreshes of the year (the fleet's plan spreads its events over them). */
  refreshes: number;
  /** Unix seconds of the year's last refresh. */
  observedUntil: number;
  moreRefreshes: number;
}

export interface EngineFigures {
  engine: string;
  openMs: number;
  history: { c: HistoryCase; times: number[]; series: number }[];
  reports: ReportCase[];
  /** record() wall time of each further refresh, in order. */
  recordMs: number[];
  writeErrors: number;
}

/** Opens the store with a clock that is the wall clock, or the recorded snapshot's time while recording; measures; closes it. */
export async function measureEngine(
  engine: string,
  open: (now: () => number) => EngineStore | Promise<EngineStore>,
  run: EngineRun,
): Promise<EngineFigures> {
  let simulated: number | undefined;
  const now = () => simulated ?? Date.now();
  const t0 = performance.now();
  const store = await open(now);
  const openMs = performance.now() - t0;
  try {
    const current = await store.restore();
    const history = await historyCases(engine, store, run);
    const reports = await reportCases(store, current, run.days, run.feature, run.requests);
    progress(`${engine}: /report p50 ${reports.map((r) => `${fixed(median(r.times), 1)} ms`).join(", ")}`);
    const fleet = new Fleet({ seed: run.seed, firstMs: run.observedUntil * 1000 + INTERVAL_MS, refreshes: run.refreshes });
    const recordMs: number[] = [];
    for (let i = 0; i < run.moreRefreshes; i++) {
      const s = fleet.snapshot(i);
      simulated = s.collectedAt;
      const w0 = performance.now();
      await store.record(s);
      recordMs.push(performance.now() - w0);
    }
    simulated = undefined;
    progress(`${engine}: record() p50 ${fixed(median(recordMs), 3)} ms over ${run.moreRefreshes} further refreshes`);
    const writeErrors = [...store.stats.writeErrors.values()].reduce((a, b) => a + b, 0);
    return { engine, openMs, history, reports, recordMs, writeErrors };
  } finally {
    await store.close();
  }
}

/** Each /history case as the route parses it (now as the wall clock), timed through store.query(). */
async function historyCases(engine: string, store: EngineStore, run: EngineRun): Promise<EngineFigures["history"]> {
  const out: EngineFigures["history"] = [];
  for (const c of run.cases) {
    const q = parseHistoryQuery(new URLSearchParams(c.query), undefined, Math.floor(Date.now() / 1000));
    if ("parameter" in q) throw new Error(`${c.name}: ${q.parameter}: ${q.message}`);
    const { times } = await timedQuery(store, q, run.requests);
    const answer = await store.query(q);
    if (answer.series.length === 0 || answer.series.some((s) => s.points.length === 0))
      throw new Error(`${engine} ${c.name}: no series with points`);
    progress(`${engine}: /history ${c.name}: p50 ${fixed(median(times), 2)} ms`);
    out.push({ c, times, series: answer.series.length });
  }
  return out;
}
