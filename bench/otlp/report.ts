/** The Markdown of bench/otlp.ts, one section per part. */

import { logfmt } from "../lib/exporter.ts";
import { fixed, mb, verdict } from "../lib/format.ts";
import { median, percentile, ratioOfMedians } from "../lib/statistics.ts";
import type { BlackHole, Variant } from "./dead-collector.ts";
import { VARIANTS } from "./dead-collector.ts";
import type { MemoryRun } from "./memory-under-push.ts";
import type { RunResult } from "./metrics-under-push.ts";
import { type OtlpOptions, WARMUP_PUSHES } from "./options.ts";
import type { PushCase, PushSample } from "./push-cost.ts";

/** /metrics req/s while pushing, ÷ req/s with push off. */
const TARGET = 0.9;

/** "median (p95)" in ms. */
const msMedianP95 = (xs: readonly number[]) => `${fixed(median(xs))} (${fixed(percentile(xs, 0.95))})`;

export function reportPushCost(cases: PushCase[], logLines: string[], o: OtlpOptions): void {
  const c0 = cases[0]!;
  console.log(`### Cost of one push (in-process, ${o.pushes} pushes after ${WARMUP_PUSHES} warm-ups; ms median (p95))\n`);
  console.log(
    `${c0.points} data points in ${c0.families} metric families (the /metrics catalogue of the org plus the exporter's own and OTLP counters); ExportMetricsServiceRequest ${c0.bytes} bytes (${mb(c0.bytes)}), ${c0.gzipBytes} bytes gzipped.\n`,
  );
  console.log(
    "| compression | (i) toResourceMetrics | protobuf encode alone | (ii) export() synchronous | (i) + (ii) medians | (iii) OtlpPusher.push() synchronous | longest event-loop stall during the push (1 ms probe) | (iv) wall time to the receiver's ack, pusher | export() to ack |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const c of cases) {
    const col = (k: keyof PushSample) => msMedianP95(c.samples.map((s) => s[k]));
    const sum = median(c.samples.map((s) => s.build)) + median(c.samples.map((s) => s.exportSync));
    console.log(
      `| ${c.compression} | ${col("build")} | ${col("serialize")} | ${col("exportSync")} | ${fixed(sum)} | ${col("pusherSync")} | ${col("lag")} | ${col("pusherAck")} | ${col("exportAck")} |`,
    );
  }
  console.log(
    `\nWarnings logged by the in-process pusher: ${logLines.length === 0 ? "none" : logLines.map((l) => `\`${l.trim()}\``).join("; ")}.`,
  );
  const raw = cases.map((c) => ({
    compression: c.compression,
    samples: c.samples.map((s) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Number(v.toFixed(3))]))),
  }));
  console.log(`\nraw push samples: ${JSON.stringify(raw)}\n`);
}

export function reportThroughput(runs: Record<Variant, RunResult[]>, o: OtlpOptions): void {
  console.log(
    `### /metrics req/s while pushing every 1 s to a dead collector (wrk -t2 -c${o.connections} -d${o.duration}s, ${o.rounds} rounds)\n`,
  );
  console.log(`| encoding | variant | req/s median | ratio of medians vs push off | per-round ratios | target ≥ ${TARGET} |`);
  console.log("|---|---|---|---|---|---|");
  for (const enc of ["gzip", "plain"] as const) {
    const off = runs.off.map((r) => r[enc]);
    for (const v of VARIANTS) {
      const xs = runs[v].map((r) => r[enc]);
      const ratio = ratioOfMedians(xs, off);
      const perRound = v === "off" ? "–" : xs.map((x, i) => fixed(x / off[i]!)).join(", ");
      console.log(
        `| ${enc} | ${v} | ${fixed(median(xs), 0)} | ${v === "off" ? "–" : fixed(ratio)} | ${perRound} | ${v === "off" ? "–" : verdict(ratio >= TARGET)} |`,
      );
    }
  }
  console.log("\n| variant | run length s (median) | pushes counted at the end of a run (median) | failures by reason (median) |");
  console.log("|---|---|---|---|");
  for (const v of VARIANTS) {
    const reasons = [...new Set(runs[v].flatMap((r) => Object.keys(r.counters.failures)))];
    const byReason = reasons.map((k) => `${k} ${median(runs[v].map((r) => r.counters.failures[k] ?? 0))}`).join(", ") || "–";
    console.log(
      `| ${v} | ${fixed(median(runs[v].map((r) => r.seconds)), 1)} | ${median(runs[v].map((r) => r.counters.exports))} | ${byReason} |`,
    );
  }
  const raw = Object.fromEntries(VARIANTS.map((v) => [v, runs[v].map((r) => ({ gzip: r.gzip, plain: r.plain }))]));
  console.log(`\nraw req/s: ${JSON.stringify(raw)}\n`);
}

export function reportMemory(mem: Record<Variant, MemoryRun>, hole: BlackHole["conns"], o: OtlpOptions): void {
  console.log(`### RSS over ${o.memoryMs / 1000} s, sampled every 5 s (no scrapes)\n`);
  console.log(
    "| variant | RSS at 5 s | RSS at the end | growth | min – max | CPU ms per s | pushes (failures by reason) | open fds, first → last sample | black-hole connections opened (open at the end) |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const v of VARIANTS) {
    const m = mem[v];
    const [first, last] = [m.rss[0]!, m.rss.at(-1)!];
    console.log(
      `| ${v} | ${mb(first)} | ${mb(last)} | ${fixed(((last - first) / first) * 100, 1)} % | ${mb(Math.min(...m.rss))} – ${mb(Math.max(...m.rss))} | ${fixed(m.cpuMsPerS, 1)} | ${m.counters.exports} (${JSON.stringify(m.counters.failures)}) | ${m.fds[0]} → ${m.fds[1]} | ${m.hole.opened} (${m.hole.open}) |`,
    );
  }
  console.log(
    `\nThe black hole accepted ${hole.opened} TCP connections over the whole benchmark; ${hole.open} were still open at the end.`,
  );
  const raw = Object.fromEntries(VARIANTS.map((v) => [v, mem[v].rss.map((x) => Number((x / 1e6).toFixed(1)))]));
  console.log(`\nraw RSS (MB): ${JSON.stringify(raw)}\n`);
}

/** Distinct warning messages (time stripped) from the exporter processes, with how often each came. */
export function reportWarnings(all: string[]): void {
  const counts = new Map<string, number>();
  for (const line of all) {
    const f = logfmt(line);
    const key = `level=${f.level} msg="${f.msg}"${f.reason ? ` reason=${f.reason}` : ""} ${f.error ?? f.detail ?? ""}`.trim();
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  console.log("Warnings and errors in the exporter processes' logs (all runs of parts 2 and 3):\n");
  if (counts.size === 0) console.log("- none");
  for (const [k, n] of counts) console.log(`- ${n} × \`${k.slice(0, 400)}\``);
  console.log();
}
