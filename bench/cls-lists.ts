/**
 * (h) Large CLS lists through the client: a single page of 700,000 virtual groups served over HTTP
 * on 127.0.0.1 and read whole (CLS_MAX_ITEMS raised to 1,000,000 for it), and CLS_MAX_ITEMS at its
 * default refusing 10,000,000 leases (one client holding them all, and 10,000,000 clients of one
 * lease each), handed to the client as the decoded body. Each run is a fresh process, so its peak
 * RSS (getrusage maxrss) is its own; "before" is its RSS once the body exists, before the call.
 *
 *   bun run bench/cls-lists.ts [--runs 3]
 */
import { parseArgs } from "node:util";
import { createClient } from "../src/cls/client.ts";
import type { GetRequest } from "../src/cls/http.ts";
import { createHttp, DEFAULT_HTTP_OPTIONS } from "../src/cls/http.ts";
import { DEFAULT_CLS_LIMITS } from "../src/cls/limits.ts";
import { int, ms } from "./lib/format.ts";
import { deadline } from "./lib/processes.ts";
import { median } from "./lib/statistics.ts";

const SCENARIOS = {
  "page-700k": "one page of 700,000 virtual groups over HTTP, read whole (CLS_MAX_ITEMS 1,000,000)",
  "leases-10m-one-client": "10,000,000 leases in one client, refused (CLS_MAX_ITEMS 200,000)",
  "leases-10m-clients": "10,000,000 clients of one lease each, refused (CLS_MAX_ITEMS 200,000)",
} as const;
type Scenario = keyof typeof SCENARIOS;

interface Result {
  ms: number;
  beforeMiB: number;
  peakMiB: number;
  outcome: string;
}

const mib = (kib: number) => kib / 1024;
const budget = () => ({ signal: AbortSignal.timeout(120_000), deadline: Date.now() + 120_000 });
const invalid = new Map();

async function page700k(): Promise<Result> {
  const body = JSON.stringify({ virtualGroups: Array.from({ length: 700_000 }, (_, i) => ({ id: `vg-${i}`, name: `group ${i}` })) });
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (req) =>
      new URL(req.url).searchParams.get("page-number") === "1"
        ? new Response(body, { headers: { "content-type": "application/json" } })
        : Response.json({ virtualGroups: [] }),
  });
  const http = createHttp(
    {
      ...DEFAULT_HTTP_OPTIONS,
      baseUrl: `http://127.0.0.1:${server.port}`,
      apiKey: () => "bench",
      userAgent: "bench",
      requestTimeoutMs: 60_000,
    },
    { fetch: (u, i) => fetch(u, i), sleep: async () => {}, random: Math.random, now: Date.now, onAttempt: () => {} },
  );
  const client = createClient(http, {
    orgName: "o",
    serviceInstanceId: undefined,
    invalid,
    limits: { ...DEFAULT_CLS_LIMITS, maxItems: 1_000_000 },
  });
  const r = await timed(() => client.list("virtual_groups", {}, budget()).then((l) => `${int(l.length)} groups`));
  server.stop(true);
  return r;
}

async function leases10m(oneClient: boolean): Promise<Result> {
  const lease = { leaseId: "l", featureName: "f", leaseCount: 1 };
  const clients = oneClient ? [{ leases: new Array(10_000_000).fill(lease) }] : new Array(10_000_000).fill({ leases: [lease] });
  const get = async (_: GetRequest) => ({ clients });
  const client = createClient(get, { orgName: "o", serviceInstanceId: undefined, invalid, limits: DEFAULT_CLS_LIMITS });
  return timed(() => client.list("leases", { vgId: "1", instanceId: "i" }, budget()).then((l) => `${int(l.length)} leases accepted`));
}

async function timed(run: () => Promise<string>): Promise<Result> {
  Bun.gc(true);
  const beforeMiB = process.memoryUsage().rss / 2 ** 20;
  const t0 = performance.now();
  const outcome = await run().catch((e: Error) => `refused: ${e.message}`);
  return { ms: performance.now() - t0, beforeMiB, peakMiB: mib(process.resourceUsage().maxRSS), outcome };
}

async function child(s: Scenario): Promise<void> {
  const r = s === "page-700k" ? await page700k() : await leases10m(s === "leases-10m-one-client");
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "3" }, child: { type: "string" } } });
  if (values.child) return child(values.child as Scenario);
  deadline(600_000);
  const runs = Number(values.runs);
  console.log("## (h) Large CLS lists through the client\n");
  console.log(`Median of ${runs} runs, each a fresh process.\n`);
  console.log("| scenario | time to the outcome | RSS before the call | peak RSS | outcome |");
  console.log("|---|---|---|---|---|");
  for (const s of Object.keys(SCENARIOS) as Scenario[]) {
    const results: Result[] = [];
    for (let i = 0; i < runs; i++) {
      const proc = Bun.spawn([process.execPath, "run", import.meta.path, "--child", s], { stdout: "pipe", stderr: "inherit" });
      const out = await new Response(proc.stdout).text();
      if ((await proc.exited) !== 0) throw new Error(`${s}: child exited ${proc.exitCode}`);
      results.push(JSON.parse(out.trim().split("\n").at(-1)!) as Result);
    }
    const m = (f: (r: Result) => number) => median(results.map(f));
    console.log(
      `| ${SCENARIOS[s]} | ${ms(
        m((r) => r.ms),
        0,
      )} | ${m((r) => r.beforeMiB).toFixed(0)} MiB | ${m((r) => r.peakMiB).toFixed(0)} MiB | ${results[0]!.outcome} |`,
    );
  }
}

await main();
