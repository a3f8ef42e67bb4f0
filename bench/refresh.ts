/**
 * (b) Refresh wall time of the large org with 20 ms of simulated latency per CLS call, in-process:
 * fetchOrg (all CLS calls) and the whole refresher (calls + snapshot build), at PARALLELISM 8, 4
 * and 16, runs interleaved. Target: fetchOrg time ≤ 1.3 × (calls ÷ PARALLELISM × 20 ms).
 * The simulator runs once in this process (sharing its one JS thread) and once as its own process
 * (as a remote CLS would: its CPU is not ours); calls are counted by the simulator either way.
 *
 *   bun run bench/refresh.ts [--runs 7] [--latency-ms 20] [--sim both|inproc|process]
 */
import { parseArgs } from "node:util";
import { abortableSleep } from "../src/clock.ts";
import { createClient } from "../src/cls/client.ts";
import { createHttp, DEFAULT_HTTP_OPTIONS } from "../src/cls/http.ts";
import { fetchOrg } from "../src/cls/org.ts";
import { type Expected, startSimulator } from "../src/sim/index.ts";
import { benchConfig, exporterGraph } from "./lib/exporter-graph.ts";
import { fixed, verdict } from "./lib/format.ts";
import { deadline, killChildren } from "./lib/processes.ts";
import { machineNotes } from "./lib/report.ts";
import { API_KEY, LARGE_ORG_CLI, largeOrg, startSimulatorProcess } from "./lib/simulator.ts";
import { median } from "./lib/statistics.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    runs: { type: "string", default: "7" },
    "latency-ms": { type: "string", default: "20" },
    sim: { type: "string", default: "both" },
  },
});
const RUNS = Number(values.runs);
const LATENCY = Number(values["latency-ms"]);
const PARALLELISMS = [8, 4, 16];
const TARGET = 1.3;
deadline(300_000);

/** What the benchmark needs of a simulator, wherever it runs. */
interface Sim {
  url: string;
  orgName: string;
  reset(): Promise<void>;
  counted(): Promise<{ total: number; peak: number }>;
  expected(): Promise<Expected>;
  stop(): Promise<void>;
}

function inProcessSim(): Sim {
  const sim = startSimulator({ scenario: largeOrg(), apiKey: API_KEY, latencyMs: LATENCY });
  return {
    url: sim.url,
    orgName: sim.orgName,
    reset: async () => sim.resetStats(),
    counted: async () => ({ total: sim.stats().total, peak: sim.stats().inFlightPeak }),
    expected: async () => sim.expected(),
    stop: () => sim.stop(),
  };
}

/** The simulator CLI as a child process, driven through its /_sim/ control API. */
async function childProcessSim(): Promise<Sim> {
  const sim = await startSimulatorProcess(["--latency-ms", String(LATENCY)]);
  return {
    url: sim.url,
    orgName: sim.orgName,
    reset: async () => void (await sim.control("reset-stats", { method: "POST" })),
    counted: async () => {
      const s = await sim.control("stats");
      return { total: s.total as number, peak: s.inFlightPeak as number };
    },
    expected: async () => (await sim.control("expected")) as Expected,
    stop: async () => void sim.child.kill(),
  };
}

interface Run {
  ms: number;
  calls: number;
  peak: number;
  /** Mean time of one CLS call as the client saw it (request to parsed JSON). */
  callMs: number;
}

/**
 * Wall time, in calls, of p-limit's FIFO schedule in org.ts if every call took exactly one unit:
 * what the dependency chain (VG list → server lists → pools and leases) alone costs.
 */
export function scheduleTicks(exp: Expected, p: number): number {
  /** A call of `ticks` units; when it ends, `next` yields the calls it makes possible. */
  interface Task {
    ticks: number;
    next?: () => Task[];
  }
  const pages = (n: number) => Math.max(1, Math.ceil(n / exp.calls.pageSize));
  const groups = (): Task[] =>
    exp.virtualGroups.map((g) => ({
      ticks: pages(g.servers),
      next: () => Array.from({ length: g.servers + g.instances }, () => ({ ticks: 1 })),
    }));
  const queue: Task[] = [{ ticks: exp.calls.virtualGroupPages, next: groups }];
  let running: { end: number; task: Task }[] = [];
  let t = 0;
  while (queue.length || running.length) {
    while (running.length < p && queue.length) running.push({ end: t + queue[0]!.ticks, task: queue.shift()! });
    t = Math.min(...running.map((r) => r.end));
    for (const r of running) if (r.end === t) queue.push(...(r.task.next?.() ?? []));
    running = running.filter((r) => r.end !== t);
  }
  return t;
}

async function measure(sim: Sim) {
  const attempts: number[] = [];
  const http = createHttp(
    { ...DEFAULT_HTTP_OPTIONS, baseUrl: sim.url, apiKey: () => API_KEY, userAgent: "bench", requestTimeoutMs: 10_000 },
    {
      fetch: (input, init) => fetch(input, init),
      sleep: abortableSleep,
      random: Math.random,
      now: () => performance.now(),
      onAttempt: (_e, _o, ms) => attempts.push(ms),
    },
  );
  const client = createClient(http, { orgName: sim.orgName, serviceInstanceId: undefined, invalid: new Map() });
  /** A real exporter object graph per PARALLELISM, for the whole refresher (fetch + buildSnapshot). */
  const exporters = new Map(
    PARALLELISMS.map((p) => {
      const env = {
        NVIDIA_API_KEY: API_KEY,
        NVIDIA_ORG_NAME: sim.orgName,
        NVIDIA_API_BASE_URL: sim.url,
        PARALLELISM: String(p),
        CACHE_TTL: "1h",
      };
      return [p, exporterGraph(benchConfig(env))];
    }),
  );
  async function timed(work: () => Promise<unknown>): Promise<Run> {
    await sim.reset();
    attempts.length = 0;
    const t0 = performance.now();
    await work();
    const ms = performance.now() - t0;
    const { total, peak } = await sim.counted();
    const callMs = attempts.reduce((a, b) => a + b, 0) / Math.max(1, attempts.length);
    return { ms, calls: total, peak, callMs };
  }
  const fetchOnce = (p: number) =>
    timed(async () => {
      const { failures } = await fetchOrg(client, undefined, { parallelism: p, timeoutMs: 20_000, now: Date.now });
      if (failures.length) throw new Error(`fetch failed: ${JSON.stringify(failures[0])}`);
    });

  for (const p of PARALLELISMS) await fetchOnce(p); // warm-up: JIT, connection pool
  const fetchRuns = new Map<number, Run[]>(PARALLELISMS.map((p) => [p, []]));
  const refreshRuns = new Map<number, Run[]>(PARALLELISMS.map((p) => [p, []]));
  for (let r = 0; r < RUNS; r++) {
    for (const p of PARALLELISMS) {
      fetchRuns.get(p)!.push(await fetchOnce(p));
      refreshRuns.get(p)!.push(await timed(() => exporters.get(p)!.cache.refresh()));
    }
  }
  return { fetchRuns, refreshRuns, expected: await sim.expected() };
}

console.log(`## (b) Refresh wall time, ${LATENCY} ms per CLS call (${machineNotes()})\n`);
console.log(
  `Org ${LARGE_ORG_CLI}; ${RUNS} runs per setting, interleaved. Bound = calls ÷ PARALLELISM × ${LATENCY} ms. Schedule = p-limit's FIFO order in org.ts with every call taking exactly ${LATENCY} ms (the dependency chain's own cost). Call ms = mean time of one call as the client saw it.\n`,
);
const modes = values.sim === "both" ? ["inproc", "process"] : [values.sim!];
for (const mode of modes) {
  const sim = mode === "inproc" ? inProcessSim() : await childProcessSim();
  const { fetchRuns, refreshRuns, expected } = await measure(sim);
  console.log(`Simulator ${mode === "inproc" ? "in the benchmark's process" : "in its own process"}:\n`);
  console.log(
    "| PARALLELISM | calls (expected) | peak in flight | fetchOrg median ms (min–max) | full refresh median ms | bound ms | schedule ms | call ms | fetchOrg ÷ bound | target ≤ 1.3 |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|");
  for (const p of PARALLELISMS) {
    const runs = fetchRuns.get(p)!;
    const calls = median(runs.map((x) => x.calls));
    const ms = runs.map((x) => x.ms);
    const bound = (calls / p) * LATENCY;
    const ratio = median(ms) / bound;
    const full = median(refreshRuns.get(p)!.map((x) => x.ms));
    const peak = Math.max(...runs.map((x) => x.peak));
    const judged = p === 8 ? verdict(ratio <= TARGET) : `(${verdict(ratio <= TARGET)})`;
    const range = `${fixed(Math.min(...ms), 0)}–${fixed(Math.max(...ms), 0)}`;
    console.log(
      `| ${p} | ${calls} (${expected.calls.total}) | ${peak} | ${fixed(median(ms), 0)} (${range}) | ${fixed(full, 0)} | ${fixed(bound, 0)} | ${scheduleTicks(expected, p) * LATENCY} | ${fixed(median(runs.map((x) => x.callMs)), 1)} | ${fixed(ratio)} | ${judged} |`,
    );
  }
  console.log(
    `\nraw fetchOrg ms: ${JSON.stringify(Object.fromEntries([...fetchRuns].map(([p, rs]) => [p, rs.map((x) => Math.round(x.ms))])))}\n`,
  );
  await sim.stop();
}

killChildren();
process.exit(0);
