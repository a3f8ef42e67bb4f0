/**
 * (c) Idle RSS of the exporter process holding the large-org snapshot: `bun run src/index.ts`
 * (CACHE_TTL 1h), first refresh done, a few scrapes in every format, then idle; RSS read from
 * /proc/PID/status (VmRSS, and VmHWM = peak) and from the exporter's process_resident_memory_bytes.
 * The small lic-example org is measured too, for the cost of the snapshot itself, and the large org
 * once more while it refreshes every 2 s (leases churning), for RSS between refreshes.
 *
 *   bun run bench/memory.ts [--runs 3] [--idle-seconds 5] [--steady-seconds 30]
 */
import { parseArgs } from "node:util";
import { loadScenario, type SimModel, startSimulator } from "../src/sim/index.ts";
import { startExporter } from "./lib/exporter.ts";
import { countSeries } from "./lib/exposition.ts";
import { mb, verdict } from "./lib/format.ts";
import { rssOf } from "./lib/proc.ts";
import { deadline } from "./lib/processes.ts";
import { machineNotes } from "./lib/report.ts";
import { API_KEY, LARGE_ORG_CLI, largeOrg } from "./lib/simulator.ts";
import { median } from "./lib/statistics.ts";

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
deadline(2 * RUNS * (IDLE_MS + 30_000) + STEADY_MS + 60_000);

const SCRAPES: Record<string, string>[] = [
  {},
  { "accept-encoding": "gzip" },
  { accept: "application/openmetrics-text; version=1.0.0" },
  { accept: "application/openmetrics-text; version=1.0.0", "accept-encoding": "gzip" },
];

interface Sample {
  series: number;
  vmRss: number;
  vmHwm: number;
  selfReported: number;
}

async function once(scenario: SimModel): Promise<Sample> {
  const sim = startSimulator({ scenario, apiKey: API_KEY });
  const exporter = await startExporter(sim.url, sim.orgName);
  let series = 0;
  for (let i = 0; i < 3; i++) {
    for (const headers of SCRAPES) {
      const res = await fetch(`${exporter.url}/metrics`, { headers, decompress: true });
      const text = await res.text();
      if (!res.ok) throw new Error(`scrape answered ${res.status}`);
      if (i === 0 && Object.keys(headers).length === 0) series = countSeries(text);
    }
    await fetch(`${exporter.url}/`).then((r) => r.text());
    await fetch(`${exporter.url}/healthz`).then((r) => r.text());
  }
  await Bun.sleep(IDLE_MS);
  const vmRss = await rssOf(exporter.pid);
  const status = await Bun.file(`/proc/${exporter.pid}/status`).text();
  const vmHwm = Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1] ?? 0) * 1024;
  const text = await (await fetch(`${exporter.url}/metrics`)).text();
  const selfReported = Number(/^process_resident_memory_bytes (\S+)$/m.exec(text)?.[1]);
  exporter.child.kill();
  await exporter.child.exited;
  await sim.stop();
  return { series, vmRss, vmHwm, selfReported };
}

/** RSS sampled every second while the exporter refreshes every 2 s and is scraped each second. */
async function steady(): Promise<{ rss: number[]; hwm: number; refreshes: number }> {
  const sim = startSimulator({ scenario: largeOrg(), apiKey: API_KEY });
  const exporter = await startExporter(sim.url, sim.orgName, { CACHE_TTL: "2s" });
  const rss: number[] = [];
  for (let t = 0; t < STEADY_MS; t += 1000) {
    sim.tick(5);
    await fetch(`${exporter.url}/metrics`, { headers: SCRAPES[1] }).then((r) => r.arrayBuffer());
    rss.push(await rssOf(exporter.pid));
    await Bun.sleep(1000);
  }
  const hwm = Number(/^VmHWM:\s+(\d+)/m.exec(await Bun.file(`/proc/${exporter.pid}/status`).text())?.[1] ?? 0) * 1024;
  const text = await (await fetch(`${exporter.url}/metrics`)).text();
  const refreshes = Number(/^nvidia_cls_refreshes_total\{[^}]*\} (\S+)$/m.exec(text)?.[1]);
  exporter.child.kill();
  await exporter.child.exited;
  await sim.stop();
  return { rss, hwm, refreshes };
}

console.log(`## (c) Idle RSS of the exporter (${machineNotes()})\n`);
console.log(
  `${RUNS} fresh exporter processes per org; 3 rounds of 4 scrapes (text/OpenMetrics × plain/gzip) + / + /healthz, then ${IDLE_MS / 1000} s idle.\n`,
);
console.log(
  "| org | nvidia_cls_* series | VmRSS median (runs) | process_resident_memory_bytes median | VmHWM (peak) median | target < 100 MB |",
);
console.log("|---|---|---|---|---|---|");
const orgs: [string, () => SimModel][] = [
  [`generated ${LARGE_ORG_CLI}`, largeOrg],
  ["lic-example", () => loadScenario("lic-example")],
];
for (const [name, make] of orgs) {
  const samples: Sample[] = [];
  for (let r = 0; r < RUNS; r++) samples.push(await once(make()));
  const rss = median(samples.map((s) => s.vmRss));
  const judged = name === "lic-example" ? `(${verdict(rss < TARGET)})` : verdict(rss < TARGET);
  console.log(
    `| ${name} | ${samples[0]!.series} | ${mb(rss)} (${samples.map((s) => mb(s.vmRss)).join(", ")}) | ${mb(median(samples.map((s) => s.selfReported)))} | ${mb(median(samples.map((s) => s.vmHwm)))} | ${judged} |`,
  );
}
if (STEADY_MS > 0) {
  const st = await steady();
  console.log(
    `\nWhile refreshing every 2 s for ${STEADY_MS / 1000} s (${st.refreshes} refreshes, leases churning, one gzip scrape per second): VmRSS median ${mb(median(st.rss))}, min ${mb(Math.min(...st.rss))}, max ${mb(Math.max(...st.rss))}; VmHWM ${mb(st.hwm)}. Context only: the target is for the idle process.`,
  );
}
process.exit(0);
