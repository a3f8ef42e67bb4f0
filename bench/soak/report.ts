/** The Markdown (and the optional JSON) of bench/soak.ts. */

import { writeFileSync } from "node:fs";
import { fixed, megabytes, minSec, oneDecimal, signedPercent, verdict } from "../lib/format.ts";
import { machineNotes } from "../lib/report.ts";
import { LARGE_ORG, LARGE_ORG_CLI } from "../lib/simulator.ts";
import { median, percentile } from "../lib/statistics.ts";
import type { SoakExporter } from "./exporter.ts";
import type { Load } from "./load.ts";
import { CHURN, EXPORTER_ENV, GROWTH_TARGET, SCRAPE_TIMEOUT_MS, type SoakOptions } from "./options.ts";
import type { Sample } from "./samples.ts";
import type { Timeline } from "./timeline.ts";

/** Everything the report reads: the run's samples and what was seen at its end. */
export interface SoakResult {
  o: SoakOptions;
  samples: Sample[];
  allLag: number[];
  load: Load;
  loadSeconds: number;
  exporter: SoakExporter;
  tl: Timeline;
  collector: { received: number; starts: number };
  simInFlightAtEnd: number;
  db: { bytes: number; files: string[] };
  stop: { fault: string; collector: string; exitCode: number | null; exitMs: number };
}

const sum = (samples: Sample[], pick: (s: Sample) => number) => samples.reduce((a, s) => a + pick(s), 0);

/** RSS and fd growth: median of the final window ÷ median of the reference window after warm-up − 1. */
function growthOf(r: SoakResult) {
  const { windowMs, totalMs } = r.o;
  const inWindow = (from: number, to: number) => r.samples.filter((s) => s.t * 1000 > from && s.t * 1000 <= to + 1);
  const ref = inWindow(windowMs, 2 * windowMs);
  const last = inWindow(totalMs - windowMs, totalMs);
  const growth = (pick: (s: Sample) => number) => median(last.map(pick)) / median(ref.map(pick)) - 1;
  const floor = (ss: Sample[]) => Math.min(...ss.map((s) => s.rssBytes));
  return { ref, last, rss: growth((s) => s.rssBytes), fds: growth((s) => s.fds), rssFloor: floor(last) / floor(ref) - 1 };
}

/** The command that reproduces the run, and what it ran. */
export const soakCommand = () => `bun run bench/soak.ts ${Bun.argv.slice(2).join(" ")}`;

export function reportHeader(o: SoakOptions, exporterDir: string, started: Date, commit: string): void {
  console.log(
    `## Soak: ${o.minutes} min at ${o.rate} scrapes/s, faults every ${o.faultEveryS} s, collector ${o.collectorUpS} s up / ${o.collectorDownS} s down (${machineNotes()}, started ${started.toISOString()}, commit ${commit})\n`,
  );
  const dirNote = process.env.BENCH_EXPORTER_DIR ? ` with BENCH_EXPORTER_DIR=${process.env.BENCH_EXPORTER_DIR}` : "";
  const env = Object.entries(EXPORTER_ENV)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
  console.log(
    `\`${soakCommand()}\`${dirNote}. Org generated ${LARGE_ORG_CLI} (seed ${LARGE_ORG.seed}), simulator in its own process churning every ${CHURN}; exporter \`${exporterDir}/src/index.ts\` with ${env}, history in a temporary DB_PATH; scrapes with Prometheus' Accept header and Accept-Encoding: gzip, ${SCRAPE_TIMEOUT_MS / 1000} s timeout.\n`,
  );
}

export function reportSamples(samples: Sample[]): void {
  console.log(
    "| t | fault(s) in the window | collector | RSS MB | fds | CPU % | loop lag p99 / max ms | CLS calls (not 200) | refreshes (longest ms) | up | scrapes ok / failed | scrapes/s | scrape ms p50 / p99 / max | OTLP pushes (failed) / received | history DB MB |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const s of samples) {
    console.log(
      `| ${minSec(s.t)} | ${s.faults.join(" → ")} | ${s.collector} | ${megabytes(s.rssBytes)} | ${s.fds} | ${fixed(s.cpuPct, 0)} | ${oneDecimal(s.lagP99Ms)} / ${oneDecimal(s.lagMaxMs)} | ${s.clsCalls} (${s.clsNotOk}) | ${s.refreshes} (${Number.isFinite(s.refreshMaxMs) ? s.refreshMaxMs : "–"}) | ${s.up} | ${s.scrapesOk} / ${s.scrapesFailed} | ${oneDecimal(s.scrapeRate)} | ${oneDecimal(s.scrapeP50Ms)} / ${oneDecimal(s.scrapeP99Ms)} / ${oneDecimal(s.scrapeMaxMs)} | ${s.otlpPushes} (${s.otlpFailures}) / ${s.collectorReceived} | ${megabytes(s.historyBytes)} |`,
    );
  }
}

export function reportVerdicts(r: SoakResult): void {
  const { samples, load, allLag } = r;
  const g = growthOf(r);
  const win = (ms: number) => `${fixed(ms / 60_000, ms % 60_000 ? 1 : 0)} min`;
  const rssOf = (ss: Sample[]) => ss.map((s) => s.rssBytes);
  const completed = load.ok + load.failed;
  console.log(
    `\nWarm-up: the first ${win(r.o.windowMs)}. Reference: ${win(r.o.windowMs)}–${win(2 * r.o.windowMs)} (${g.ref.length} samples); end: the last ${win(r.o.windowMs)} (${g.last.length} samples).\n`,
  );
  console.log("| measure | result | target | verdict |");
  console.log("|---|---|---|---|");
  console.log(
    `| RSS growth, median of the end ÷ median of the reference − 1 | **${signedPercent(g.rss)}** (${megabytes(median(rssOf(g.last)))} vs ${megabytes(median(rssOf(g.ref)))} MB; all samples ${megabytes(Math.min(...rssOf(samples)))}–${megabytes(Math.max(...rssOf(samples)))} MB) | < 5 % | **${verdict(g.rss < GROWTH_TARGET)}** |`,
  );
  console.log(
    `| RSS floor (lowest sample) of the end vs the reference, context: RSS saws with GC from sample to sample | ${signedPercent(g.rssFloor)} (${megabytes(Math.min(...rssOf(g.last)))} vs ${megabytes(Math.min(...rssOf(g.ref)))} MB) | – | – |`,
  );
  const fds = (ss: Sample[]) => ss.map((s) => s.fds);
  console.log(
    `| open fds growth, same windows | **${signedPercent(g.fds)}** (${median(fds(g.last))} vs ${median(fds(g.ref))}; all samples ${Math.min(...fds(samples))}–${Math.max(...fds(samples))}) | < 5 % | **${verdict(g.fds < GROWTH_TARGET)}** |`,
  );
  console.log(
    `| failed scrapes | **${load.failed}** of ${completed} (${load.sent} sent, ${load.skipped} slots skipped by this process) | 0 | **${verdict(load.failed === 0)}** |`,
  );
  console.log(
    `| achieved scrape rate | ${fixed(completed / r.loadSeconds, 2)} /s (target ${r.o.rate}); send delay p99 ${oneDecimal(percentile(load.sendDelays, 0.99))} ms, max ${oneDecimal(Math.max(...load.sendDelays))} ms | – | – |`,
  );
  console.log(
    `| scrape latency, whole run | p50 ${oneDecimal(percentile(load.latencies, 0.5))} ms, p99 ${oneDecimal(percentile(load.latencies, 0.99))} ms, max ${oneDecimal(Math.max(...load.latencies))} ms; ${fixed(load.bytes / Math.max(1, load.ok) / 1e3, 1)} kB gzip per scrape${load.notGzip ? `, ${load.notGzip} answers not gzip` : ""} | – | – |`,
  );
  console.log(
    `| exporter event-loop lag (50 ms probe, ${allLag.length} ticks) | p99 ${oneDecimal(percentile(allLag, 0.99))} ms, max ${oneDecimal(Math.max(...allLag))} ms | – | – |`,
  );
  reportRunFacts(r);
}

function reportRunFacts(r: SoakResult): void {
  const { samples, collector } = r;
  const clsCalls = sum(samples, (s) => s.clsCalls);
  console.log(
    `| CLS calls | ${clsCalls} in all, ${fixed(clsPerMinute(r), 0)} per minute; ${sum(samples, (s) => s.refreshes)} refreshes; ${r.simInFlightAtEnd} calls still open at the end | – | – |`,
  );
  console.log(
    `| OTLP | ${sum(samples, (s) => s.otlpPushes)} pushes counted by the exporter, ${sum(samples, (s) => s.otlpFailures)} failed; the collector received ${collector.received} over ${collector.starts} start${collector.starts === 1 ? "" : "s"} | – | – |`,
  );
  console.log(
    `| history database at the end | ${megabytes(r.db.bytes)} MB (${r.db.files.join(", ")}); write errors ${samples.at(-1)!.historyWriteErrors} | – | – |`,
  );
  const { stop } = r;
  console.log(
    `| SIGTERM at the end (fault "${stop.fault}", collector ${stop.collector}) | ${stop.exitCode === null ? "**still running after 20 s** (killed)" : `exit code ${stop.exitCode} after ${fixed(stop.exitMs / 1000, 2)} s`} | – | – |`,
  );
  console.log();
}

const clsPerMinute = (r: SoakResult) => sum(r.samples, (s) => s.clsCalls) / (r.samples.at(-1)!.t / 60);

/** The first failed scrapes, and the warnings and errors the exporter logged. */
export function reportLog(r: SoakResult): void {
  const { load, exporter } = r;
  if (load.failures.length) {
    console.log("First failed scrapes:\n");
    for (const f of load.failures) console.log(`- ${minSec(f.t)} (fault ${f.fault}): ${f.error}`);
    console.log();
  }
  console.log("Warnings and errors the exporter logged (count × level, message, endpoint, reason):\n");
  if (exporter.log.counts.size === 0) console.log("- none");
  for (const [k, n] of [...exporter.log.counts].sort((a, b) => b[1] - a[1])) console.log(`- ${n} × \`${k}\``);
  if (exporter.log.errors.length) console.log(`\nFirst error lines:\n\n${exporter.log.errors.map((l) => `    ${l}`).join("\n")}`);
  console.log();
}

/** The samples and the summary as JSON, for --out. */
export function writeJson(path: string, r: SoakResult, head: Record<string, unknown>): void {
  const { o, load, allLag } = r;
  const g = growthOf(r);
  const completed = load.ok + load.failed;
  const options = {
    minutes: o.minutes,
    rate: o.rate,
    faultEvery: o.faultEveryS,
    sampleEvery: o.sampleEveryS,
    collectorUp: o.collectorUpS,
    collectorDown: o.collectorDownS,
  };
  const summary = {
    rssGrowth: g.rss,
    rssFloorGrowth: g.rssFloor,
    fdGrowth: g.fds,
    sent: load.sent,
    completed,
    ok: load.ok,
    failed: load.failed,
    skipped: load.skipped,
    achievedRate: completed / r.loadSeconds,
    lagP99Ms: percentile(allLag, 0.99),
    lagMaxMs: Math.max(...allLag),
    clsCallsPerMinute: clsPerMinute(r),
    collectorReceived: r.collector.received,
    collectorStarts: r.collector.starts,
    dbBytes: r.db.bytes,
    exitCode: r.stop.exitCode,
    exitMs: r.stop.exitMs,
  };
  const body = {
    ...head,
    options,
    summary,
    faults: r.tl.faults,
    collector: r.tl.collector,
    failures: load.failures,
    log: Object.fromEntries(r.exporter.log.counts),
    samples: r.samples,
  };
  writeFileSync(path, `${JSON.stringify(body, null, 2)}\n`);
}
