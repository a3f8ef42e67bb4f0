/**
 * (h) What one refresh costs after the CLS calls, by number of virtual groups: the snapshot build
 * (src/snapshot/build.ts), the history's observe() and the catalogue render, in-process on OrgData
 * made directly (no HTTP). Each group has one server with two features, one pool, one lease call with
 * three leases (one of them of a feature the group does not serve, so it is unattributed) and two
 * entitlements. Linear work gives 100k ÷ 10k ≈ 10 for each part.
 *
 *   bun run bench/builder.ts [--groups 10000,50000,100000] [--runs 5]
 */
import { parseArgs } from "node:util";
import { CATALOG } from "../src/render/catalog.ts";
import { renderCatalog } from "../src/render/prometheus.ts";
import { buildSnapshot } from "../src/snapshot/build.ts";
import { newStats } from "../src/snapshot/refresher.ts";
import { observe } from "../src/store/observe.ts";
import { orgOf } from "./builder/org.ts";
import { fixed, int } from "./lib/format.ts";
import { deadline } from "./lib/processes.ts";
import { machineNotes, progressOf, revision } from "./lib/report.ts";
import { median } from "./lib/statistics.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: { groups: { type: "string", default: "10000,50000,100000" }, runs: { type: "string", default: "5" } },
});
const SIZES = values.groups.split(",").map(Number);
const RUNS = Number(values.runs);
const progress = progressOf("builder");
const measured = revision();
deadline(600_000);

/** Milliseconds `f` takes. */
async function timed(f: () => unknown): Promise<number> {
  const t0 = Bun.nanoseconds();
  await f();
  return (Bun.nanoseconds() - t0) / 1e6;
}

interface Row {
  groups: number;
  series: number;
  build: number;
  observe: number;
  render: number;
}

async function measure(groups: number): Promise<Row> {
  const data = orgOf(groups);
  const meta = { collectedAt: 1_700_000_000_000, durationMs: 1, failures: [], invalidItems: [] };
  const times = { build: [] as number[], observe: [] as number[], render: [] as number[] };
  let series = 0;
  for (let run = 0; run < RUNS; run++) {
    Bun.gc(true);
    let snapshot = buildSnapshot(data, meta);
    times.build.push(await timed(() => (snapshot = buildSnapshot(data, meta))));
    times.observe.push(await timed(() => observe(snapshot)));
    let text = "";
    const view = { snapshot, stats: newStats(), build: { version: "bench", revision: "bench", bunVersion: Bun.version } };
    times.render.push(await timed(async () => (text = await renderCatalog(CATALOG, view, "bench", "text"))));
    series = text.split("\n").filter((l) => l.startsWith("nvidia_cls_")).length;
    progress(`${int(groups)} groups, run ${run + 1}/${RUNS}: build ${fixed(times.build.at(-1)!)} ms`);
  }
  return { groups, series, build: median(times.build), observe: median(times.observe), render: median(times.render) };
}

const rows: Row[] = [];
for (const groups of SIZES) rows.push(await measure(groups));
const first = rows[0]!;
const last = rows.at(-1)!;
const size = last.groups / first.groups;
console.log(`## (h) Snapshot build, observe and render by virtual groups\n`);
console.log(`${machineNotes()}, revision ${measured}, ${RUNS} runs per size (medians)\n`);
console.log("| groups | series | build ms | observe ms | render ms |");
console.log("|---:|---:|---:|---:|---:|");
for (const r of rows)
  console.log(`| ${int(r.groups)} | ${int(r.series)} | ${fixed(r.build, 1)} | ${fixed(r.observe, 1)} | ${fixed(r.render, 1)} |`);
console.log();
for (const part of ["build", "observe", "render"] as const) {
  const ratio = last[part] / first[part];
  console.log(
    `- ${part}: ${int(last.groups)} ÷ ${int(first.groups)} groups = **${fixed(ratio)}** (linear work would give about ${fixed(size, 0)})`,
  );
}
