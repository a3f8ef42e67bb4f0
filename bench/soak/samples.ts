/**
 * The soak's measurements, every --sample-every seconds: exporter VmRSS, open fds, CPU, event-loop
 * lag and, for the window: CLS calls, refreshes, scrapes, OTLP pushes, the faults active and the
 * collector's state.
 */

import type { Collector } from "../lib/collector.ts";
import { mb, minSec, oneDecimal } from "../lib/format.ts";
import { cpuMsOf, fdCountOf, rssOf } from "../lib/proc.ts";
import { progressOf } from "../lib/report.ts";
import { percentile } from "../lib/statistics.ts";
import { type ExporterCounters, exporterCounters, lagReader, type SoakExporter } from "./exporter.ts";
import type { Load } from "./load.ts";
import { sleepUntil, type Timeline } from "./timeline.ts";

const progress = progressOf("soak");

export interface Sample {
  t: number;
  faults: string[];
  collector: string;
  rssBytes: number;
  fds: number;
  cpuPct: number;
  lagTicks: number;
  lagP99Ms: number;
  lagMaxMs: number;
  clsCalls: number;
  clsNotOk: number;
  simInFlight: number;
  refreshes: number;
  refreshMaxMs: number;
  refreshErrors: number;
  up: number;
  scrapesOk: number;
  scrapesFailed: number;
  scrapeRate: number;
  scrapeP50Ms: number;
  scrapeP99Ms: number;
  scrapeMaxMs: number;
  otlpPushes: number;
  otlpFailures: number;
  collectorReceived: number;
  historyBytes: number;
  historyWriteErrors: number;
}

/** The simulator's request counters, as GET /_sim/stats gives them. */
export interface SimStats {
  total: number;
  byStatus: Record<string, number>;
  inFlight: number;
}

export interface SampledRun {
  tl: Timeline;
  load: Load;
  exporter: SoakExporter;
  collector: Collector;
  simStats: () => Promise<SimStats>;
  lagFile: string;
  /** The exporter's exit code once it exited on its own (a soak failure), else null. */
  exporterExit: () => number | null;
}

const notOk = (s: SimStats) => Object.entries(s.byStatus).reduce((a, [k, v]) => a + (k === "200" ? 0 : v), 0);
const maxOr = (xs: number[]) => (xs.length ? Math.max(...xs) : Number.NaN);

/** What the previous sample saw: each window is the difference. */
interface Previous {
  t: number;
  actual: number;
  sim: SimStats;
  counters: ExporterCounters;
  cpu: number;
  received: number;
}

/** Samples every `everyS` seconds, `count` times; also returns every lag tick of the samples' windows. */
export async function sampleLoop(r: SampledRun, count: number, everyS: number): Promise<{ samples: Sample[]; allLag: number[] }> {
  const samples: Sample[] = [];
  const allLag: number[] = [];
  const readLag = lagReader(r.lagFile);
  readLag(); // the lag before the first window (start-up and the first refresh) is not part of the soak
  let prev: Previous = {
    t: 0,
    actual: 0,
    sim: await r.simStats(),
    counters: await exporterCounters(r.exporter.url),
    cpu: cpuMsOf(r.exporter.pid),
    received: r.collector.received,
  };
  r.exporter.log.refreshMs = [];
  r.load.take();
  for (let k = 1; k <= count; k++) {
    await sleepUntil(r.tl.t0 + k * everyS * 1000);
    const exit = r.exporterExit();
    if (exit !== null)
      throw new Error(`the exporter exited with ${exit} at ${minSec(r.tl.elapsedS())}: ${r.exporter.log.tail.slice(-5).join(" | ")}`);
    const lag = readLag();
    const { sample, next } = await takeSample(r, k * everyS, lag, prev);
    samples.push(sample);
    allLag.push(...lag);
    prev = next;
  }
  return { samples, allLag };
}

async function takeSample(r: SampledRun, t: number, lag: number[], prev: Previous): Promise<{ sample: Sample; next: Previous }> {
  const actual = r.tl.elapsedS();
  const w = r.load.take();
  const pid = r.exporter.pid;
  const [rssBytes, fds, cpu] = [await rssOf(pid), fdCountOf(pid), cpuMsOf(pid)];
  const sim = await r.simStats();
  const counters = await exporterCounters(r.exporter.url).catch((e: Error) => {
    r.load.noteFailure(t, `sample scrape: ${e.message}`);
    return prev.counters;
  });
  const refreshMs = r.exporter.log.refreshMs;
  r.exporter.log.refreshMs = [];
  const sample: Sample = {
    t,
    faults: r.tl.faultsBetween(prev.t, t),
    collector: r.tl.collectorBetween(prev.t, t),
    rssBytes,
    fds,
    cpuPct: ((cpu - prev.cpu) / ((actual - prev.actual) * 1000)) * 100,
    lagTicks: lag.length,
    lagP99Ms: percentile(lag, 0.99),
    lagMaxMs: maxOr(lag),
    clsCalls: sim.total - prev.sim.total,
    clsNotOk: notOk(sim) - notOk(prev.sim),
    simInFlight: sim.inFlight,
    refreshes: counters.refreshes - prev.counters.refreshes,
    refreshMaxMs: maxOr(refreshMs),
    refreshErrors: counters.refreshErrors - prev.counters.refreshErrors,
    up: counters.up,
    scrapesOk: w.ok,
    scrapesFailed: w.failed,
    scrapeRate: (w.ok + w.failed) / (actual - prev.actual),
    scrapeP50Ms: percentile(w.latencies, 0.5),
    scrapeP99Ms: percentile(w.latencies, 0.99),
    scrapeMaxMs: maxOr(w.latencies),
    otlpPushes: counters.otlpExports - prev.counters.otlpExports,
    otlpFailures: counters.otlpFailures - prev.counters.otlpFailures,
    collectorReceived: r.collector.received - prev.received,
    historyBytes: counters.historyBytes,
    historyWriteErrors: counters.historyWriteErrors,
  };
  progress(
    `${minSec(t)} RSS ${mb(rssBytes)}, fds ${fds}, lag p99 ${oneDecimal(sample.lagP99Ms)} max ${oneDecimal(sample.lagMaxMs)} ms, CLS calls ${sample.clsCalls}, scrapes ${sample.scrapesOk} ok ${sample.scrapesFailed} failed, p99 ${oneDecimal(sample.scrapeP99Ms)} ms, fault ${sample.faults.join("→")}, collector ${sample.collector}`,
  );
  return { sample, next: { t, actual, sim, counters, cpu, received: r.collector.received } };
}
