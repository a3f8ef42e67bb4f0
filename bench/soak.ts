/**
 * Soak: one exporter process for --minutes (default 30) under 50 scrapes per second, with CLS faults
 * flipping every minute and OTLP pushing to a collector that comes and goes. Target: RSS and open
 * file descriptors flat after warm-up (growth < 5 %), no failed scrape.
 *
 * - CLS: the simulator CLI (src/sim/main.ts, generated org 10x10x9x10, ~4,100 series) in its own
 *   process, churning lease counts every 5 s (--churn-interval), driven through /_sim/: faults are
 *   replaced every --fault-every seconds from a fixed cycle (with fault-free windows in between);
 *   GET /_sim/stats gives the CLS calls per window.
 * - Collector: the test suite's OTLP gRPC receiver (test/integration/otlp-receiver.ts) in its own
 *   process (bench/otlp-receiver.ts), up for --collector-up s, then killed (SIGTERM) for
 *   --collector-down s, and started again on the same port; it prints how many pushes it decoded.
 * - Exporter: `bun run --preload bench/soak-lag-probe.ts <BENCH_EXPORTER_DIR or this checkout>/src/index.ts`
 *   with CACHE_TTL 10s, SCRAPE_TIMEOUT 5s, history in a temporary DB_PATH (written every refresh) and
 *   OTLP push every 5 s. The preload measures the exporter's own event-loop lag (a 50 ms interval,
 *   how late each tick fires) into a file, without changing src/.
 * - Load: --rate GET /metrics per second (Prometheus' Accept header and Accept-Encoding: gzip; the
 *   gzip body is read, not decompressed) paced evenly from this process on keep-alive fetch, 10 s
 *   timeout each. A scrape fails on any status other than 200, an empty body, an error or the timeout.
 *   A slot more than 1 s late (this process lagging) is skipped and counted, never sent in a burst.
 * - Every --sample-every s: exporter VmRSS, open fds (/proc/<pid>/fd), CPU, event-loop lag (p99,
 *   max) and, for the window: CLS calls, refreshes, scrapes (ok, failed, p50/p99/max latency),
 *   OTLP pushes (the exporter's counters from one plain /metrics scrape, and what the receiver got),
 *   the fault(s) active and the collector's state.
 *
 * Warm-up = the first 5 minutes (a sixth of the run when shorter than 30 minutes). Growth = median of
 * the last 5 minutes ÷ median of the 5 minutes after warm-up − 1 (sixths for short runs). At the end
 * the exporter gets SIGTERM; its exit code and time to exit are reported.
 *
 *   bun run bench/soak.ts [--minutes 30] [--rate 50] [--fault-every 60] [--sample-every 30]
 *     [--collector-up 120] [--collector-down 60] [--out PATH.json]
 *   bun run bench/soak.ts --minutes 3 --fault-every 20 --sample-every 10     # a short check
 *
 * The pieces: bench/soak/options.ts, schedule.ts (faults, collector), exporter.ts, load.ts,
 * samples.ts, report.ts.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FaultRuleInput } from "../src/sim/faults.ts";
import { Collector } from "./lib/collector.ts";
import { exporterDir } from "./lib/exporter.ts";
import { minSec } from "./lib/format.ts";
import { deadline, killChildren } from "./lib/processes.ts";
import { machineNotes, progressOf, revision } from "./lib/report.ts";
import { LARGE_ORG_CLI, startSimulatorProcess } from "./lib/simulator.ts";
import { startSoakExporter } from "./soak/exporter.ts";
import { Load } from "./soak/load.ts";
import { CHURN, EXPORTER_ENV, soakOptions } from "./soak/options.ts";
import { reportHeader, reportLog, reportSamples, reportVerdicts, soakCommand, writeJson } from "./soak/report.ts";
import { type SimStats, sampleLoop } from "./soak/samples.ts";
import { collectorLoop, faultCycle, faultLoop } from "./soak/schedule.ts";
import { Timeline } from "./soak/timeline.ts";

const o = soakOptions(Bun.argv.slice(2));
deadline(o.totalMs + 240_000);
const progress = progressOf("soak");

const started = new Date();
const commit = revision(exporterDir());
const tmp = mkdtempSync(join(tmpdir(), "soak-"));
const lagFile = join(tmp, "lag.jsonl");

progress(`simulator ${LARGE_ORG_CLI}, churn every ${CHURN}`);
const sim = await startSimulatorProcess(["--churn-interval", CHURN]);
const simStats = async (): Promise<SimStats> => {
  const s = await sim.control("stats");
  return { total: s.total, byStatus: s.byStatus, inFlight: s.inFlight };
};
const setFaults = (rules: FaultRuleInput[]) =>
  rules.length
    ? sim.control("faults", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(rules) })
    : sim.control("faults", { method: "DELETE" });
const vgIds = ((await sim.control("expected")).virtualGroups as Array<{ vgId: number }>).map((g) => g.vgId);
const cycle = faultCycle(vgIds[1] ?? vgIds[0]!);
const collector = new Collector(Math.ceil(o.totalMs / 1000) + 300);
await collector.start();
progress(`collector on 127.0.0.1:${collector.port}`);
const exporter = await startSoakExporter({
  simUrl: sim.url,
  orgName: sim.orgName,
  collectorPort: collector.port,
  dbPath: join(tmp, "history.db"),
  lagFile,
});
progress(`exporter ${exporter.dir}/src/index.ts pid ${exporter.pid} at ${exporter.url}; ${o.minutes} min at ${o.rate} scrapes/s`);

let exporterExit: number | null = null;
void exporter.child.exited.then((code) => {
  exporterExit = code;
});

const tl = new Timeline(o.totalMs);
const load = new Load(`${exporter.url}/metrics`, tl, o.rate);
const run = { tl, load, exporter, collector, simStats, lagFile, exporterExit: () => exporterExit };
let sampled: Awaited<ReturnType<typeof sampleLoop>>;
try {
  // Awaited together: a loop failing mid-run ends the run at once (and its children are killed).
  [sampled] = await Promise.all([
    sampleLoop(run, o.samples, o.sampleEveryS),
    load.run(),
    faultLoop(tl, cycle, o.faultEveryS, setFaults),
    collectorLoop(tl, collector, o.collectorUpS, o.collectorDownS),
  ]);
} catch (e) {
  progress(`failed: ${(e as Error).message}`);
  console.error(exporter.log.tail.slice(-20).join("\n"));
  console.log(
    `## Soak: FAILED at ${minSec(tl.elapsedS())} (${machineNotes()}, commit ${commit})\n\n${(e as Error).message}\n\nScrapes until then: ${load.ok} ok, ${load.failed} failed, ${load.skipped} skipped.${load.failures.map((f) => `\n- ${minSec(f.t)} (fault ${f.fault}): ${f.error}`).join("")}`,
  );
  killChildren();
  rmSync(tmp, { recursive: true, force: true });
  process.exit(1);
}
tl.stopping = true;
const loadSeconds = tl.elapsedS();

// Stop the exporter as an orchestrator would, with whatever fault and collector state the run ended in.
const stopState = { fault: tl.faultAt(tl.elapsedS()), collector: collector.up ? "up" : "down" };
const dbFiles = readdirSync(tmp).filter((f) => f.startsWith("history.db"));
const db = { files: dbFiles, bytes: dbFiles.reduce((a, f) => a + statSync(join(tmp, f)).size, 0) };
const stopT0 = performance.now();
exporter.child.kill("SIGTERM");
const exitCode = await Promise.race([exporter.child.exited, Bun.sleep(20_000).then(() => null)]);
const exitMs = performance.now() - stopT0;
const simInFlightAtEnd = (await simStats()).inFlight;
await collector.stop();
killChildren();

const result = {
  o,
  ...sampled,
  load,
  loadSeconds,
  exporter,
  tl,
  collector: { received: collector.received, starts: collector.starts },
  simInFlightAtEnd,
  db,
  stop: { ...stopState, exitCode, exitMs },
};
reportHeader(o, exporter.dir, started, commit);
reportSamples(result.samples);
reportVerdicts(result);
reportLog(result);
if (o.out) {
  const head = { command: soakCommand(), machine: machineNotes(), commit, org: LARGE_ORG_CLI, exporterEnv: EXPORTER_ENV };
  writeJson(o.out, result, head);
  progress(`samples written to ${o.out}`);
}

rmSync(tmp, { recursive: true, force: true });
process.exit(0);
