/**
 * (c) Where the idle RSS of the 17,000-series org goes: the exporter of bench/memory.ts in variants
 * that leave one part out, with bench/memory-probe.ts preloaded to read the JavaScript heap after a
 * full collection. Each variant: fresh exporter (`bun run --preload bench/memory-probe.ts
 * src/index.ts`, CACHE_TTL 1h, a new history database), first refresh, the scrapes of (c) unless
 * the variant has none, `--idle-seconds` idle, VmRSS read; then a full collection (SIGUSR2) and
 * VmRSS, RssAnon, RssFile and the heap figures read again. BENCH_EXPORTER_DIR measures another checkout.
 * The PostgreSQL variants run the exporter as its org's only replica (so its leader) on a new
 * database of a throwaway cluster (test/pg/server.ts: Debian's postgresql package, 127.0.0.1 only).
 *
 *   bun run bench/memory-attribution.ts [--runs 3] [--idle-seconds 5] [--only PostgreSQL]
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadScenario, type SimModel, startSimulator } from "../src/sim/index.ts";
import { type PgServer, pgCount, startPgServer } from "../test/pg/server.ts";
import { logfmt } from "./lib/exporter.ts";
import { mb } from "./lib/format.ts";
import { deadline, drain, firstLine, spawnChild } from "./lib/processes.ts";
import { machineNotes } from "./lib/report.ts";
import { API_KEY, XL_ORG_CLI, xlOrg } from "./lib/simulator.ts";
import { median } from "./lib/statistics.ts";
import { memoryOf, scrapeRounds } from "./memory-scenario.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    runs: { type: "string", default: "3" },
    "idle-seconds": { type: "string", default: "5" },
    only: { type: "string", default: "" },
  },
});
const RUNS = Number(values.runs);
const IDLE_MS = Number(values["idle-seconds"]) * 1000;
const PROBE = fileURLToPath(new URL("./memory-probe.ts", import.meta.url));
const EXPORTER = `${(process.env.BENCH_EXPORTER_DIR || fileURLToPath(new URL("..", import.meta.url))).replace(/\/$/, "")}/src/index.ts`;

interface Variant {
  name: string;
  org: () => SimModel;
  scrape: boolean;
  env?: Record<string, string>;
  /** History in PostgreSQL (DATABASE_URL, a new database per run) instead of a SQLite file. */
  pg?: boolean;
  /** Measured on the history of an exporter that ran before it (its first refresh written, then stopped). */
  restart?: boolean;
}

/** A DB_PATH that cannot be created: the history store logs it and the exporter runs without history. */
const NO_HISTORY = { DB_PATH: "/proc/no-history/history.db" };
const VARIANTS: Variant[] = [
  { name: "lic-example (60 series): runtime, modules, one small refresh", org: () => loadScenario("lic-example"), scrape: true },
  { name: `${XL_ORG_CLI}: refresh only, no history, no scrape`, org: xlOrg, scrape: false, env: NO_HISTORY },
  { name: `${XL_ORG_CLI}: refresh and history, no scrape`, org: xlOrg, scrape: false },
  { name: `${XL_ORG_CLI}: refresh and scrapes, no history`, org: xlOrg, scrape: true, env: NO_HISTORY },
  { name: `${XL_ORG_CLI}: all of it (the gate)`, org: xlOrg, scrape: true },
  { name: `${XL_ORG_CLI}: all of it, DB_PATH=:memory:`, org: xlOrg, scrape: true, env: { DB_PATH: ":memory:" } },
  {
    name: `${XL_ORG_CLI}: all of it, OTLP push on (to a closed port)`,
    org: xlOrg,
    scrape: true,
    env: { OTEL_ENABLED: "true", OTEL_ENDPOINT: "http://127.0.0.1:9", OTEL_INSECURE: "true" },
  },
  { name: `${XL_ORG_CLI}: all of it, JIT off (BUN_JSC_useJIT=0)`, org: xlOrg, scrape: true, env: { BUN_JSC_useJIT: "0" } },
  { name: `${XL_ORG_CLI}: refresh and history, no scrape, PostgreSQL leader`, org: xlOrg, scrape: false, pg: true },
  { name: `${XL_ORG_CLI}: all of it, PostgreSQL leader`, org: xlOrg, scrape: true, pg: true },
  { name: `${XL_ORG_CLI}: all of it, PostgreSQL leader restarted on its history`, org: xlOrg, scrape: true, pg: true, restart: true },
  {
    name: `${XL_ORG_CLI}: all of it, PostgreSQL leader, JIT off (BUN_JSC_useJIT=0)`,
    org: xlOrg,
    scrape: true,
    pg: true,
    env: { BUN_JSC_useJIT: "0" },
  },
];
const SELECTED = VARIANTS.filter((v) => v.name.includes(values.only));
deadline(SELECTED.length * RUNS * (IDLE_MS + 45_000) + 60_000);
/** Started on the first PostgreSQL variant, stopped at the end. */
let pgServer: PgServer | undefined;
let databases = 0;

/** Where the variant keeps its history: a new SQLite file in `dir`, or a new PostgreSQL database. */
async function historyEnv(v: Variant, dir: string): Promise<Record<string, string>> {
  if (!v.pg) return { DB_PATH: `${dir}/history.db` };
  pgServer ??= startPgServer();
  return { DATABASE_URL: await pgServer.createDatabase(`attribution_${databases++}`) };
}

type Figures = Record<"idle" | "gc" | "anon" | "file" | "heap" | "capacity" | "extra" | "peak", number>;

/** Until the org's stored snapshot was collected after `afterS` (unix seconds): the leader's write is committed. */
async function historyWritten(url: string, afterS: number): Promise<void> {
  const written = async () => (await pgCount(url, `SELECT count(*) AS n FROM snapshots WHERE collected_at > ${afterS}`)) > 0;
  for (let i = 0; i < 1200 && !(await written()); i++) await Bun.sleep(50);
}

/** Starts the exporter; resolves after its first refresh and, on PostgreSQL, once the leader wrote it. */
async function started(env: Record<string, string>): Promise<{ child: ReturnType<typeof spawnChild>; url: string }> {
  const afterS = Math.floor(Date.now() / 1000) - 1;
  const child = spawnChild([process.execPath, "run", "--preload", PROBE, EXPORTER], env);
  drain(child.stdout);
  let url = "";
  // firstLine reads stderr to its end, so the exporter never blocks on a full pipe.
  await firstLine(child.stderr, (line) => {
    if (line.includes("msg=listening")) url = logfmt(line).url ?? "";
    return line.includes('msg="refresh succeeded"') ? true : undefined;
  });
  // The leader writes after the refresh, off its path: measured once that write is committed.
  if (env.DATABASE_URL) await historyWritten(env.DATABASE_URL, afterS);
  return { child, url };
}

async function once(v: Variant): Promise<Figures> {
  const dir = mkdtempSync(`${tmpdir()}/cls-memory-`);
  const sim = startSimulator({ scenario: v.org(), apiKey: API_KEY });
  const probeFile = `${dir}/probe.json`;
  const env: Record<string, string> = {
    NVIDIA_API_KEY: API_KEY,
    NVIDIA_ORG_NAME: sim.orgName,
    NVIDIA_API_BASE_URL: sim.url,
    LISTEN_ADDRESS: "127.0.0.1:0",
    CACHE_TTL: "1h",
    ...(await historyEnv(v, dir)),
    MEMORY_PROBE_FILE: probeFile,
    ...v.env,
  };
  let child: ReturnType<typeof spawnChild> | undefined;
  try {
    if (v.restart) {
      const first = (await started(env)).child;
      first.kill();
      await first.exited;
    }
    const exporter = await started(env);
    child = exporter.child;
    const url = exporter.url;
    if (v.scrape) await scrapeRounds(url);
    await Bun.sleep(IDLE_MS);
    const idle = (await memoryOf(child.pid)).VmRSS;
    child.kill("SIGUSR2");
    for (let i = 0; i < 100 && !existsSync(probeFile); i++) await Bun.sleep(50);
    await Bun.sleep(500);
    const after = await memoryOf(child.pid);
    const heap = JSON.parse(readFileSync(probeFile, "utf8"));
    return {
      idle,
      gc: after.VmRSS,
      peak: after.VmHWM,
      anon: after.RssAnon,
      file: after.RssFile,
      heap: heap.heapSize,
      capacity: heap.heapCapacity,
      extra: heap.extraMemorySize,
    };
  } finally {
    child?.kill();
    await child?.exited;
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`## (c) attribution (${machineNotes()}; exporter ${EXPORTER})\n`);
console.log(
  `${RUNS} fresh processes per variant, medians; idle ${IDLE_MS / 1000} s after the scrapes, then a full collection. JS heap = live cells + extra (string and buffer contents).\n`,
);
console.log("| variant | VmRSS idle | VmRSS after full GC | RssAnon | RssFile | JS heap | of which extra | heap capacity | VmHWM (peak) |");
console.log("|---|---|---|---|---|---|---|---|---|");
for (const v of SELECTED) {
  const runs: Figures[] = [];
  for (let r = 0; r < RUNS; r++) runs.push(await once(v));
  const m = (k: keyof Figures) => mb(median(runs.map((x) => x[k])));
  console.log(
    `| ${v.name} | ${m("idle")} | ${m("gc")} | ${m("anon")} | ${m("file")} | ${m("heap")} | ${m("extra")} | ${m("capacity")} | ${m("peak")} |`,
  );
}
pgServer?.stop();
process.exit(0);
