/**
 * Refusing oversize answers: the exporter (its own process, default CLS_MAX_* bounds, PARALLELISM 8)
 * against the simulator serving GB-scale bombs, each for several refreshes. The org has 8 servers with
 * one service instance each, so a refresh makes 8 license_pools and 8 leases calls, 8 at a time: each
 * bomb is served on both endpoints (the compressedClients one on leases, the only list sent
 * compressed), so 8 bombs are read at once and the byte budget they share is what bounds the peak.
 * Reports the exporter's peak RSS (VmHWM, reset before each bomb) above its idle RSS, and /healthz
 * latency while it refuses. Then, in
 * this process, what a body at the bound costs the event loop: JSON.parse, the bounded inflate
 * (synchronous vs node:zlib's asynchronous one) and a parse in a Worker handed back.
 *   bun run bench/bombs.ts [--refreshes 3] [--in-flight 8] [--only compressed] [--no-loop]
 * (--in-flight: the org's servers, each its own service instance, so that many bombs are read at
 * once; --only keeps the bombs whose name contains the word; --no-loop skips the event-loop rows.)
 */
import { writeFileSync } from "node:fs";
import { createGunzip, gunzip, gunzipSync } from "node:zlib";
import { DEFAULT_CLS_LIMITS } from "../src/cls/limits.ts";
import { generateOrg } from "../src/sim/index.ts";
import { compressedBomb } from "../src/sim/oversize.ts";
import { type Simulator, startSimulator } from "../src/sim/server.ts";
import { type ExporterProcess, startExporter } from "./lib/exporter.ts";
import { mib, ms } from "./lib/format.ts";
import { rssOf } from "./lib/proc.ts";
import { API_KEY } from "./lib/simulator.ts";
import { median } from "./lib/statistics.ts";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const REFRESHES = arg("refreshes", 3);
const onlyAt = process.argv.indexOf("--only");
const ONLY = onlyAt > 0 ? process.argv[onlyAt + 1]!.toLowerCase() : "";
const LOOP_ROWS = !process.argv.includes("--no-loop");
const GiB = 2 ** 30;

const peakOf = async (pid: number) => Number(/^VmHWM:\s+(\d+)/m.exec(await Bun.file(`/proc/${pid}/status`).text())![1]) * 1024;
/** Resets VmHWM to the current RSS (Linux clear_refs 5). */
const resetPeak = (pid: number) => writeFileSync(`/proc/${pid}/clear_refs`, "5");

interface Bomb {
  name: string;
  endpoints: ("leases" | "license_pools")[];
  rule: Record<string, unknown>;
}

/** Bombs read at once: with the default 8, 2 groups × 4 servers, one service instance each (1 + 1 + 8 + 8 calls per refresh). */
const IN_FLIGHT = arg("in-flight", 8);
const BOMB_ORG = {
  orgName: "bomb-org",
  virtualGroups: IN_FLIGHT % 2 === 0 ? 2 : 1,
  serversPerGroup: IN_FLIGHT % 2 === 0 ? IN_FLIGHT / 2 : IN_FLIGHT,
  featuresPerServer: 2,
  leasesPerFeature: 2,
  instancesPerGroup: IN_FLIGHT % 2 === 0 ? IN_FLIGHT / 2 : IN_FLIGHT,
  seed: 1,
};
const PARALLELISM = 8;

async function bombs(): Promise<Bomb[]> {
  process.stderr.write("bombs: making a compressedClients bomb of 2 GiB inflated…\n");
  const b64 = await compressedBomb(2 * GiB);
  return [
    { name: "4 GiB gzip bomb (Content-Encoding: gzip)", endpoints: ["license_pools", "leases"], rule: { gzipBomb: 4 * GiB } },
    {
      name: `compressedClients bomb, ${mib(b64.length)} base64 inflating to 2 GiB`,
      endpoints: ["leases"],
      rule: { body: { compressedClients: b64 } },
    },
    { name: "1 GiB JSON body", endpoints: ["license_pools", "leases"], rule: { hugeBody: GiB } },
    { name: "1.5 GiB HTML body with 500", endpoints: ["license_pools", "leases"], rule: { hugeErrorBody: 1.5 * GiB, status: 500 } },
  ];
}

/** /healthz latencies while `until` is pending, one request at a time. */
async function probe(url: string, until: Promise<unknown>): Promise<number[]> {
  let done = false;
  until.finally(() => {
    done = true;
  });
  const out: number[] = [];
  while (!done) {
    const t = performance.now();
    await (await fetch(`${url}/healthz`)).arrayBuffer();
    out.push(performance.now() - t);
    await Bun.sleep(20);
  }
  return out;
}

async function refuse(sim: Simulator, e: ExporterProcess, bomb: Bomb): Promise<string> {
  await Bun.sleep(2_000);
  const idle = await rssOf(e.pid);
  resetPeak(e.pid);
  const calls = () => bomb.endpoints.reduce((n, endpoint) => n + (sim.stats().byEndpoint[endpoint] ?? 0), 0);
  const before = calls();
  const perRefresh = bomb.endpoints.length * BOMB_ORG.virtualGroups * BOMB_ORG.serversPerGroup;
  sim.setFaults(bomb.endpoints.map((endpoint) => ({ endpoint, ...bomb.rule }) as never));
  const started = Date.now();
  const enough = (async () => {
    while (calls() < before + REFRESHES * perRefresh && Date.now() - started < 120_000) await Bun.sleep(50);
    await Bun.sleep(500);
  })();
  const latencies = await probe(e.url, enough);
  const peak = await peakOf(e.pid);
  sim.clearFaults();
  await Bun.sleep(2_500);
  const after = await rssOf(e.pid);
  const max = Math.max(...latencies);
  return `| ${bomb.name} | ${mib(idle)} | ${mib(peak)} | ${mib(peak - idle)} | ${mib(after)} | ${ms(median(latencies), 1)} | ${ms(max, 1)} |`;
}

/** Longest gap of a 1 ms interval timer while `work` runs, and its total time. */
async function loopCost(work: () => Promise<unknown> | unknown): Promise<{ total: number; gap: number }> {
  let gap = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    gap = Math.max(gap, now - last);
    last = now;
  }, 1);
  const t = performance.now();
  await work();
  const total = performance.now() - t;
  await Bun.sleep(50);
  clearInterval(timer);
  return { total, gap: Math.max(gap, performance.now() - last) };
}

async function gunzipStream(gz: Uint8Array): Promise<number> {
  const stream = createGunzip({ chunkSize: 64 * 1_024 });
  stream.end(gz);
  let n = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) n += chunk.byteLength;
  return n;
}

async function eventLoopRows(): Promise<string[]> {
  const cap = DEFAULT_CLS_LIMITS.maxResponseBytes;
  const lease = (i: number) =>
    JSON.stringify({ id: `lease-${i}-${crypto.randomUUID()}`, clientId: `c-${i}`, featureName: "vGPU", leaseCount: 1, hostname: `h${i}` });
  const parts: string[] = [];
  let size = 14;
  for (let i = 0; size < cap - 200; i++) {
    const l = lease(i);
    parts.push(l);
    size += l.length + 1;
  }
  const text = `{"clients":[${parts.join(",")}]}`;
  const bytes = new TextEncoder().encode(text);
  const gz = Bun.gzipSync(bytes);
  const worker = new Worker(
    URL.createObjectURL(new Blob(["self.onmessage = (e) => postMessage(JSON.parse(new TextDecoder().decode(e.data)));"])),
  );
  const viaWorker = () =>
    new Promise((resolve) => {
      worker.onmessage = (e) => resolve(e.data);
      const copy = bytes.slice();
      worker.postMessage(copy, [copy.buffer]);
    });
  const rows: [string, () => unknown][] = [
    [`JSON.parse of ${mib(bytes.length)} (lease-like, at CLS_MAX_RESPONSE_BYTES)`, () => JSON.parse(new TextDecoder().decode(bytes))],
    ["the same parsed in a Worker, handed back", viaWorker],
    [`gunzipSync of ${mib(gz.length)} → ${mib(bytes.length)}`, () => gunzipSync(gz, { maxOutputLength: cap })],
    ["node:zlib async gunzip, same", () => new Promise((r, j) => gunzip(gz, { maxOutputLength: cap }, (err, b) => (err ? j(err) : r(b))))],
    ["node:zlib gunzip stream, 64 KiB chunks, same (what src/cls/compressed.ts uses)", () => gunzipStream(gz)],
  ];
  const out: string[] = [];
  for (const [name, work] of rows) {
    const runs = [];
    for (let i = 0; i < 5; i++) runs.push(await loopCost(work));
    out.push(`| ${name} | ${ms(median(runs.map((r) => r.total)), 0)} | ${ms(median(runs.map((r) => r.gap)), 0)} |`);
  }
  worker.terminate();
  return out;
}

const sim = startSimulator({ scenario: generateOrg(BOMB_ORG), apiKey: API_KEY });
const exporter = await startExporter(sim.url, BOMB_ORG.orgName, {
  CACHE_TTL: "1s",
  SCRAPE_TIMEOUT: "20s",
  PARALLELISM: String(PARALLELISM),
});
try {
  const rows: string[] = [];
  for (const bomb of (await bombs()).filter((b) => b.name.toLowerCase().includes(ONLY))) {
    process.stderr.write(`bombs: ${bomb.name}\n`);
    rows.push(await refuse(sim, exporter, bomb));
  }
  const limits = `CLS_MAX_RESPONSE_BYTES ${mib(DEFAULT_CLS_LIMITS.maxResponseBytes)}, CLS_MAX_INFLATED_BYTES ${mib(DEFAULT_CLS_LIMITS.maxInflatedBytes)}`;
  console.log("## Refusing oversize answers (bench/bombs.ts)\n");
  console.log(
    `Exporter with the default bounds (${limits}), PARALLELISM ${PARALLELISM}, CACHE_TTL 1s; each bomb served on every call of its endpoints (8 at a time) for ${REFRESHES}+ refreshes; peak = VmHWM reset before each bomb; /healthz probed every 20 ms meanwhile.\n`,
  );
  console.log("| bomb | idle RSS | peak RSS | peak − idle | RSS after | /healthz median | /healthz max |");
  console.log("|---|---|---|---|---|---|---|");
  for (const r of rows) console.log(r);
  if (LOOP_ROWS) {
    console.log("\nEvent-loop cost of a body at the bound, in this process (medians of 5):\n");
    console.log("| work | total | longest event-loop gap |");
    console.log("|---|---|---|");
    for (const r of await eventLoopRows()) console.log(r);
  }
} finally {
  exporter.child.kill();
  await sim.stop();
}
