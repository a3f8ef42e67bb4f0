/**
 * (c) Idle RSS of the exporter process holding a snapshot: `bun run src/index.ts` (CACHE_TTL 1h,
 * a fresh history database per run), first refresh done, a few scrapes in every format, then idle;
 * RSS read from /proc/PID/status (VmRSS, and VmHWM = peak) and from the exporter's
 * process_resident_memory_bytes; then the same once more, restarted on the database the first
 * process left. The gate is the 17,000-series org (20x50x4x1), both starts; the 4,100-series org
 * and the small lic-example org are measured for context, and the 17,000-series org once more
 * while it refreshes every 2 s (leases churning), for RSS between refreshes.
 *
 *   bun run bench/memory.ts [--runs 3] [--idle-seconds 5] [--steady-seconds 30]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { parseArgs } from "node:util";
import { loadScenario, type SimModel, startSimulator } from "../src/sim/index.ts";
import { startExporter } from "./lib/exporter.ts";
import { countSeries } from "./lib/exposition.ts";
import { mb, verdict } from "./lib/format.ts";
import { rssOf } from "./lib/proc.ts";
import { deadline } from "./lib/processes.ts";
import { machineNotes } from "./lib/report.ts";
import { API_KEY, LARGE_ORG_CLI, largeOrg, XL_ORG_CLI, xlOrg } from "./lib/simulator.ts";
import { median } from "./lib/statistics.ts";
import { memoryOf, SCRAPES, scrapeRounds } from "./memory-scenario.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    runs: { type: "string", default: "3" },
    "idle-seconds": { type: "string", default: "5" },
    "steady-seconds": { type: "string", default: "30" },
  },
});
const RUNS = Number(values.runs);
const IDLE_MS = Number(values["idle-seconds"]) * 1000;
/** 100 MB, decimal (95.4 MiB): the stricter reading. */
const TARGET = 100e6;
const STEADY_MS = Number(values["steady-seconds"]) * 1000;
deadline(6 * RUNS * (IDLE_MS + 40_000) + STEADY_MS + 60_000);

interface Sample {
  series: number;
  bytes: number;
  vmRss: number;
  vmHwm: number;
  selfReported: number;
}

/** A history database of its own per exporter: one left by an earlier run would be restored first. */
async function withDb<T>(run: (env: Record<string, string>) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(`${tmpdir()}/cls-memory-`);
  try {
    return await run({ DB_PATH: `${dir}/history.db` });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One exporter process: first refresh, the scrapes, idle, then its memory. */
async function measure(clsUrl: string, orgName: string, env: Record<string, string>): Promise<Sample> {
  const exporter = await startExporter(clsUrl, orgName, env);
  const first = await scrapeRounds(exporter.url);
  await Bun.sleep(IDLE_MS);
  const { VmRSS, VmHWM } = await memoryOf(exporter.pid);
  const text = await (await fetch(`${exporter.url}/metrics`)).text();
  const selfReported = Number(/^process_resident_memory_bytes (\S+)$/m.exec(text)?.[1]);
  exporter.child.kill();
  await exporter.child.exited;
  return { series: countSeries(first), bytes: Buffer.byteLength(first), vmRss: VmRSS, vmHwm: VmHWM, selfReported };
}

/**
 * A first start on a new history database, then a restart on the database it left: the restart
 * restores the stored snapshot and loads every series before its first refresh.
 */
const startAndRestart = (scenario: SimModel) =>
  withDb(async (env): Promise<[Sample, Sample]> => {
    const sim = startSimulator({ scenario, apiKey: API_KEY });
    try {
      return [await measure(sim.url, sim.orgName, env), await measure(sim.url, sim.orgName, env)];
    } finally {
      await sim.stop();
    }
  });

/** RSS sampled every second while the exporter refreshes every 2 s and is scraped each second. */
const steady = () =>
  withDb(async (env): Promise<{ rss: number[]; hwm: number; refreshes: number }> => {
    const sim = startSimulator({ scenario: xlOrg(), apiKey: API_KEY });
    const exporter = await startExporter(sim.url, sim.orgName, { ...env, CACHE_TTL: "2s" });
    const rss: number[] = [];
    for (let t = 0; t < STEADY_MS; t += 1000) {
      sim.tick(5);
      await fetch(`${exporter.url}/metrics`, { headers: SCRAPES[1] }).then((r) => r.arrayBuffer());
      rss.push(await rssOf(exporter.pid));
      await Bun.sleep(1000);
    }
    const hwm = (await memoryOf(exporter.pid)).VmHWM;
    const text = await (await fetch(`${exporter.url}/metrics`)).text();
    const refreshes = Number(/^nvidia_cls_refreshes_total\{[^}]*\} (\S+)$/m.exec(text)?.[1]);
    exporter.child.kill();
    await exporter.child.exited;
    await sim.stop();
    return { rss, hwm, refreshes };
  });

console.log(`## (c) Idle RSS of the exporter (${machineNotes()})\n`);
console.log(
  `${RUNS} runs per org; a run is a first start on a new history database, then a restart on it (two exporter processes). Each: first refresh, 3 rounds of 4 scrapes (text/OpenMetrics × plain/gzip) + / + /healthz, then ${IDLE_MS / 1000} s idle.\n`,
);
console.log(
  "| org | start | nvidia_cls_* series | /metrics bytes (text) | VmRSS median (runs) | process_resident_memory_bytes median | VmHWM (peak) median | target < 100 MB |",
);
console.log("|---|---|---|---|---|---|---|---|");
// The first org is the gate; the others are context.
const orgs: [string, () => SimModel][] = [
  [`generated ${XL_ORG_CLI}`, xlOrg],
  [`generated ${LARGE_ORG_CLI}`, largeOrg],
  ["lic-example", () => loadScenario("lic-example")],
];
for (const [i, [name, make]] of orgs.entries()) {
  const pairs: [Sample, Sample][] = [];
  for (let r = 0; r < RUNS; r++) pairs.push(await startAndRestart(make()));
  for (const [k, start] of ["first", "restart"].entries()) {
    const samples = pairs.map((p) => p[k]!);
    const rss = median(samples.map((s) => s.vmRss));
    const judged = i === 0 ? verdict(rss < TARGET) : `(${verdict(rss < TARGET)})`;
    console.log(
      `| ${name} | ${start} | ${samples[0]!.series} | ${samples[0]!.bytes} | ${mb(rss)} (${samples.map((s) => mb(s.vmRss)).join(", ")}) | ${mb(median(samples.map((s) => s.selfReported)))} | ${mb(median(samples.map((s) => s.vmHwm)))} | ${judged} |`,
    );
  }
}
if (STEADY_MS > 0) {
  const st = await steady();
  console.log(
    `\nOrg ${XL_ORG_CLI} refreshing every 2 s for ${STEADY_MS / 1000} s (${st.refreshes} refreshes, leases churning, one gzip scrape per second): VmRSS median ${mb(median(st.rss))}, min ${mb(Math.min(...st.rss))}, max ${mb(Math.max(...st.rss))}; VmHWM ${mb(st.hwm)}. Context only: the target is for the idle process.`,
  );
}
process.exit(0);
