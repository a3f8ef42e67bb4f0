/**
 * (a) /metrics throughput of a cached large-org snapshot: the exporter (its own process,
 * `bun run src/index.ts`, CACHE_TTL 1h) against a bare Bun.serve answering the same bytes and
 * headers (bench/bare-server.ts), alternated A/B/B/A over rounds, with and without gzip, by wrk.
 *
 *   bun run bench/throughput.ts [--rounds 5] [--duration 8] [--connections 32]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { parseArgs } from "node:util";
import { startSimulator } from "../src/sim/index.ts";
import { startExporter } from "./lib/exporter.ts";
import { countSeries } from "./lib/exposition.ts";
import { fixed, mib, verdict } from "./lib/format.ts";
import { rssOf } from "./lib/proc.ts";
import { deadline, drain, firstLine, killChildren, spawnChild } from "./lib/processes.ts";
import { machineNotes } from "./lib/report.ts";
import { API_KEY, LARGE_ORG, largeOrg } from "./lib/simulator.ts";
import { median, ratioOfMedians } from "./lib/statistics.ts";
import { type WrkResult, wrk } from "./lib/wrk.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    rounds: { type: "string", default: "5" },
    duration: { type: "string", default: "8" },
    connections: { type: "string", default: "32" },
  },
});
const ROUNDS = Number(values.rounds);
const DURATION = Number(values.duration);
const CONNS = Number(values.connections);
const TARGET = 0.8;
deadline((ROUNDS * 4 * (DURATION + 2) + 120) * 1000);

const load = (url: string, gzip: boolean, seconds: number) => wrk(url, { gzip, seconds, connections: CONNS });

const sim = startSimulator({ scenario: largeOrg(), apiKey: API_KEY });
const exporter = await startExporter(sim.url, sim.orgName);
const metricsUrl = `${exporter.url}/metrics`;

// Capture exactly what the exporter serves (decompress: false keeps the gzip bytes as sent).
const dir = mkdtempSync(`${tmpdir()}/cls-bench-`);
const kept = ["content-type", "vary", "content-encoding"];
const captured: Record<string, Record<string, string>> = {};
for (const [name, init] of [
  ["plain", {}],
  ["gzip", { headers: { "accept-encoding": "gzip" }, decompress: false }],
] as const) {
  const res = await fetch(metricsUrl, init);
  const bytes = new Uint8Array(await res.arrayBuffer());
  captured[name] = Object.fromEntries(kept.flatMap((h) => (res.headers.has(h) ? [[h, res.headers.get(h)!]] : [])));
  await Bun.write(`${dir}/${name}.bin`, bytes);
}
await Bun.write(`${dir}/headers.json`, JSON.stringify(captured));
const plainBytes = Bun.file(`${dir}/plain.bin`).size;
const gzipBytes = Bun.file(`${dir}/gzip.bin`).size;
const series = countSeries(await Bun.file(`${dir}/plain.bin`).text());
if (captured.gzip?.["content-encoding"] !== "gzip") throw new Error("exporter did not gzip when asked");

const bare = spawnChild([process.execPath, "run", "bench/bare-server.ts", dir]);
drain(bare.stderr);
const bareUrl = await firstLine(bare.stdout, (l) => (l.startsWith("http://") ? l.trim() : undefined));

const servers = { exporter: metricsUrl, bare: `${bareUrl}/metrics` } as const;
type Name = keyof typeof servers;
const encodings = [false, true];
for (const url of Object.values(servers)) for (const gz of encodings) await load(url, gz, 2); // warm-up

const results: Record<string, { exporter: number[]; bare: number[]; ratios: number[] }> = {
  identity: { exporter: [], bare: [], ratios: [] },
  gzip: { exporter: [], bare: [], ratios: [] },
};
for (let r = 0; r < ROUNDS; r++) {
  for (const gz of encodings) {
    const order: Name[] = (r + Number(gz)) % 2 === 0 ? ["exporter", "bare"] : ["bare", "exporter"];
    const got: Partial<Record<Name, WrkResult>> = {};
    for (const name of order) got[name] = await load(servers[name], gz, DURATION);
    const row = results[gz ? "gzip" : "identity"]!;
    row.exporter.push(got.exporter!.rps);
    row.bare.push(got.bare!.rps);
    row.ratios.push(got.exporter!.rps / got.bare!.rps);
    console.error(
      `round ${r + 1} ${gz ? "gzip    " : "identity"} ${order.join("→")}: exporter ${fixed(got.exporter!.rps, 0)} req/s (${got.exporter!.transfer}/s) bare ${fixed(got.bare!.rps, 0)} req/s (${got.bare!.transfer}/s) ${got.exporter!.errors} ${got.bare!.errors}`,
    );
  }
}
const rssAfterLoad = await rssOf(exporter.pid);

console.log(`## (a) /metrics throughput (${machineNotes()})\n`);
console.log(
  `Org ${LARGE_ORG.virtualGroups}x${LARGE_ORG.serversPerGroup}x${LARGE_ORG.featuresPerServer}x${LARGE_ORG.leasesPerFeature}: ${series} nvidia_cls_* series; body ${plainBytes} bytes (${mib(plainBytes)}), gzip ${gzipBytes} bytes.`,
);
console.log(
  `wrk -t2 -c${CONNS} -d${DURATION}s, ${ROUNDS} rounds, order alternated per round. Exporter RSS after the load: ${mib(rssAfterLoad)}.\n`,
);
console.log("| encoding | exporter req/s (median) | bare Bun.serve req/s (median) | ratio of medians | per-round ratios | target ≥ 0.8 |");
console.log("|---|---|---|---|---|---|");
for (const [enc, row] of Object.entries(results)) {
  const ratio = ratioOfMedians(row.exporter, row.bare);
  console.log(
    `| ${enc} | ${fixed(median(row.exporter), 0)} | ${fixed(median(row.bare), 0)} | ${fixed(ratio)} | ${row.ratios.map((x) => fixed(x)).join(", ")} | ${verdict(ratio >= TARGET)} |`,
  );
}
console.log(`\nraw req/s: ${JSON.stringify(results)}`);

killChildren();
await sim.stop();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
