/**
 * (f) OTLP push: what one push of the large org costs the event loop, and whether pushing every
 * second to a dead collector slows /metrics or grows memory.
 *
 * 1. In-process: the real exporter graph (loadConfig + createExporter) holds the large-org snapshot;
 *    pushes go to the test suite's OTLP gRPC receiver, run in its own process so that decoding the
 *    pushes does not share our event loop. Times toResourceMetrics(), the synchronous part of
 *    OTLPMetricExporter.export() (built as src/otlp/load.ts builds it), the synchronous part of the
 *    real OtlpPusher.push(), the longest event-loop stall a 1 ms interval probe sees, and the wall
 *    time until the receiver acknowledged; compression none and gzip.
 * 2. /metrics req/s (wrk) of the exporter process with push off, pushing every 1 s to a closed port
 *    ("refused") and to a TCP listener that accepts and never answers ("black-holed"), one exporter at
 *    a time, the order rotated per round.
 * 3. RSS of the exporter process over a minute in the same three variants.
 *
 *   bun run bench/otlp.ts [--pushes 30] [--rounds 5] [--duration 8] [--connections 32] [--memory-seconds 60]
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import * as grpc from "@grpc/grpc-js";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-grpc";
// A dependency of the gRPC exporter (not our own): the serializer export() calls, timed on its own here.
import { ProtobufMetricsSerializer } from "@opentelemetry/otlp-transformer";
import { defaultResource, resourceFromAttributes } from "@opentelemetry/resources";
import type { ResourceMetrics } from "@opentelemetry/sdk-metrics";
import { loadConfig, type OtlpConfig } from "../src/config/index.ts";
import { createExporter } from "../src/context.ts";
import { createLogger } from "../src/log.ts";
import { createOtlpPusher } from "../src/otlp/load.ts";
import { newOtlpStats } from "../src/otlp/stats.ts";
import { CATALOG, LIVE_CATALOG, type View } from "../src/render/catalog.ts";
import { toResourceMetrics } from "../src/render/otlp.ts";
import { startSimulator } from "../src/sim/index.ts";
import { startReceiver } from "../test/integration/otlp-receiver.ts";
import {
  API_KEY,
  deadline,
  fixed,
  killChildren,
  LARGE_ORG_CLI,
  largeOrg,
  logfmt,
  machineNotes,
  mb,
  median,
  ROOT,
  rssOf,
  spawnChild,
  verdict,
  waitForLine,
} from "./lib.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    pushes: { type: "string", default: "30" },
    rounds: { type: "string", default: "5" },
    duration: { type: "string", default: "8" },
    connections: { type: "string", default: "32" },
    "memory-seconds": { type: "string", default: "60" },
    parts: { type: "string", default: "cost,throughput,memory" },
    // Internal: this file also serves as the receiver process of part 1.
    receiver: { type: "boolean", default: false },
  },
});
const PUSHES = Number(values.pushes);
const ROUNDS = Number(values.rounds);
const DURATION = Number(values.duration);
const CONNS = Number(values.connections);
const MEMORY_MS = Number(values["memory-seconds"]) * 1000;
const PARTS = new Set(values.parts.split(","));
const TARGET = 0.9;
const WARMUP_PUSHES = 3;
const BUILD = { version: "bench", revision: "bench", bunVersion: Bun.version };
const CATALOGUE = [...CATALOG, ...LIVE_CATALOG];
const budgetMs = PUSHES * 4 * 1000 + ROUNDS * 3 * (2 * DURATION + 12) * 1000 + 3 * (MEMORY_MS + 15_000) + 180_000;

if (values.receiver) await runReceiver(budgetMs);
deadline(budgetMs);

/** Child mode: the OTLP receiver on 127.0.0.1, its port on stdout; ends with its parent's budget at the latest. */
async function runReceiver(lifetimeMs: number): Promise<never> {
  const receiver = await startReceiver();
  // The decoded pushes are not needed; dropping them keeps this process small.
  setInterval(() => (receiver.pushes.length = 0), 1000);
  setTimeout(() => process.exit(0), lifetimeMs);
  console.log(`port=${receiver.port}`);
  return new Promise<never>(() => {});
}

const progress = (msg: string) => console.error(`otlp: ${msg}`);

function p95(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)]!;
}
const ms = (xs: readonly number[]) => `${fixed(median(xs))} (${fixed(p95(xs))})`;

function revision(): string {
  const rev = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], { cwd: ROOT }).stdout.toString().trim();
  const dirty = Bun.spawnSync(["git", "status", "--porcelain", "--", "src"], { cwd: ROOT }).stdout.toString().trim();
  return `${rev || "unknown"}${dirty ? " + uncommitted changes in src/" : ""}`;
}

function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

// ---------------------------------------------------------------------------------------------
// Part 1: the cost of one push, in-process.

/**
 * Longest stall of the event loop: a 1 ms interval notes how late each tick is. Synchronous work
 * shows as one late tick, so the maximum over a push is its longest blocking stretch (GC included).
 */
function lagProbe() {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 1);
    last = now;
  }, 1);
  return {
    reset: () => ((worst = 0), (last = performance.now())),
    worst: () => worst,
    stop: () => clearInterval(timer),
  };
}

interface PushSample {
  build: number;
  serialize: number;
  exportSync: number;
  exportAck: number;
  pusherSync: number;
  pusherAck: number;
  lag: number;
}

interface PushCase {
  compression: OtlpConfig["compression"];
  samples: PushSample[];
  points: number;
  families: number;
  bytes: number;
  gzipBytes: number;
}

/** The large org in the real object graph; its own pusher is left off so nothing pushes behind our back. */
async function inProcessGraph(simUrl: string, orgName: string, receiverPort: number) {
  const env = (compression: string) => ({
    NVIDIA_API_KEY: API_KEY,
    NVIDIA_ORG_NAME: orgName,
    NVIDIA_API_BASE_URL: simUrl,
    CACHE_TTL: "1h",
    OTEL_ENABLED: "true",
    OTEL_ENDPOINT: `127.0.0.1:${receiverPort}`,
    OTEL_EXPORTER_OTLP_COMPRESSION: compression,
  });
  const load = (compression: string) =>
    loadConfig({ env: env(compression), argv: [], readFile: (p) => readFileSync(p, "utf8"), hostname: "bench" });
  const logLines: string[] = [];
  const log = createLogger({ write: (line) => logLines.push(line), level: "warn" });
  const config = load("none");
  const exporter = createExporter({ ...config, otlp: undefined }, { fetch: (i, init) => fetch(i, init), now: Date.now, log, build: BUILD });
  exporter.start();
  const snapshot = await exporter.cache.get();
  if (!snapshot?.up) throw new Error("the in-process exporter did not get a snapshot from the simulator");
  const view: View = { snapshot, stats: exporter.stats, build: BUILD, otlp: newOtlpStats() };
  return { exporter, view, log, logLines, otlpConfig: (c: string) => load(c).otlp! };
}

/** An OTLPMetricExporter built as src/otlp/load.ts builds it (plaintext here). */
function ownExporter(otlp: OtlpConfig): OTLPMetricExporter {
  return new OTLPMetricExporter({
    url: otlp.url,
    credentials: grpc.credentials.createInsecure(),
    metadata: new grpc.Metadata(),
    timeoutMillis: otlp.timeoutMs,
    compression: otlp.compression as never,
    userAgent: `nvidia-license-server-exporter/${BUILD.version}`,
  });
}

/** Resolves with the export's result; `sync` is how long export() itself held the thread. */
function timedExport(exporter: OTLPMetricExporter, metrics: ResourceMetrics): { sync: number; done: Promise<void> } {
  let settle!: (err?: Error) => void;
  const done = new Promise<void>((resolve, reject) => (settle = (err) => (err ? reject(err) : resolve())));
  const t0 = performance.now();
  exporter.export(metrics, (r) => settle(r.code === 0 ? undefined : (r.error ?? new Error("export failed"))));
  return { sync: performance.now() - t0, done };
}

async function measurePushes(graph: Awaited<ReturnType<typeof inProcessGraph>>, compression: OtlpConfig["compression"]): Promise<PushCase> {
  const otlp = graph.otlpConfig(compression);
  const stats = graph.view.otlp!;
  const startedAt = Date.now();
  const pusher = await createOtlpPusher(otlp, {
    catalog: CATALOGUE,
    orgName: otlp.resource["nvidia.cls.org.name"]!,
    build: BUILD,
    view: async () => graph.view,
    current: () => graph.view,
    stats,
    log: graph.log,
    now: Date.now,
    startedAt,
  });
  const own = ownExporter(otlp);
  const render = {
    resource: defaultResource().merge(resourceFromAttributes({ ...otlp.resource, "service.version": BUILD.version })),
    scope: { name: "nvidia-license-server-exporter", version: BUILD.version },
    orgName: otlp.resource["nvidia.cls.org.name"]!,
    startMs: startedAt,
  };
  const probe = lagProbe();
  const samples: PushSample[] = [];
  let metrics!: ResourceMetrics;
  for (let i = 0; i < WARMUP_PUSHES + PUSHES; i++) {
    const s = await onePush(graph.view, render, own, pusher, probe);
    metrics = s.metrics;
    if (i >= WARMUP_PUSHES) samples.push(s.sample);
  }
  probe.stop();
  if (stats.failures.size > 0 || stats.lastSuccessAt === undefined)
    throw new Error(`the pusher's pushes failed: ${JSON.stringify([...stats.failures])}`);
  await Promise.all([pusher.stop(), own.shutdown()]);
  const body = ProtobufMetricsSerializer.serializeRequest(metrics)!;
  const points = metrics.scopeMetrics[0]!.metrics.reduce((n, m) => n + m.dataPoints.length, 0);
  return {
    compression,
    samples,
    points,
    families: metrics.scopeMetrics[0]!.metrics.length,
    bytes: body.byteLength,
    gzipBytes: gzipSync(body).byteLength,
  };
}

/** One round: the pieces on our own exporter, then the real pusher under the lag probe. */
async function onePush(
  view: View,
  render: Parameters<typeof toResourceMetrics>[3],
  own: OTLPMetricExporter,
  pusher: Awaited<ReturnType<typeof createOtlpPusher>>,
  probe: ReturnType<typeof lagProbe>,
) {
  await Bun.sleep(20);
  const t0 = performance.now();
  const metrics = toResourceMetrics(CATALOGUE, view, Date.now(), render);
  const t1 = performance.now();
  ProtobufMetricsSerializer.serializeRequest(metrics);
  const t2 = performance.now();
  const exp = timedExport(own, metrics);
  await exp.done;
  const exportAck = performance.now() - t2;
  // The real push path, as the timer calls it: build + send, synchronous up to its first await.
  await Bun.sleep(20);
  const before = view.otlp!.exports;
  probe.reset();
  const p0 = performance.now();
  const pushing = pusher.push(view);
  const pusherSync = performance.now() - p0;
  await pushing;
  const pusherAck = performance.now() - p0;
  // Work that runs after the acknowledgement (response handling, GC) still counts as this push's stall.
  await Bun.sleep(20);
  if (view.otlp!.exports !== before + 1) throw new Error("the pusher did not export");
  return {
    metrics,
    sample: { build: t1 - t0, serialize: t2 - t1, exportSync: exp.sync, exportAck, pusherSync, pusherAck, lag: probe.worst() },
  };
}

async function startReceiverProcess(): Promise<number> {
  const child = spawnChild([process.execPath, "run", "bench/otlp.ts", "--receiver"]);
  void child.stderr.pipeTo(new WritableStream()).catch(() => {});
  return waitForLine(child.stdout, (l) => (l.startsWith("port=") ? Number(l.slice(5)) : undefined));
}

async function pushCost(): Promise<{ cases: PushCase[]; logLines: string[] }> {
  const sim = startSimulator({ scenario: largeOrg(), apiKey: API_KEY });
  const port = await startReceiverProcess();
  const graph = await inProcessGraph(sim.url, sim.orgName, port);
  const cases: PushCase[] = [];
  for (const compression of ["none", "gzip"] as const) {
    progress(`push cost, compression ${compression}: ${WARMUP_PUSHES} + ${PUSHES} pushes`);
    cases.push(await measurePushes(graph, compression));
  }
  await graph.exporter.stop();
  await sim.stop();
  killChildren();
  return { cases, logLines: graph.logLines };
}

// ---------------------------------------------------------------------------------------------
// Parts 2 and 3: the exporter process pushing to a dead collector.

const VARIANTS = ["off", "refused", "black-holed"] as const;
type Variant = (typeof VARIANTS)[number];

interface Exporter {
  url: string;
  pid: number;
  /** Every stderr line after the first refresh: the pusher's warnings must be seen, not drained. */
  log: string[];
  stop: () => Promise<void>;
}

/**
 * As bench/lib.ts startExporter (same command, env and BENCH_EXPORTER_DIR), but it keeps reading
 * the log after the first refresh instead of draining it.
 */
async function startLoggedExporter(clsUrl: string, orgName: string, extraEnv: Record<string, string>): Promise<Exporter> {
  const env = {
    NVIDIA_API_KEY: API_KEY,
    NVIDIA_ORG_NAME: orgName,
    NVIDIA_API_BASE_URL: clsUrl,
    LISTEN_ADDRESS: "127.0.0.1:0",
    CACHE_TTL: "1h",
    ...extraEnv,
  };
  const dir = (process.env.BENCH_EXPORTER_DIR || ROOT).replace(/\/$/, "");
  const child = spawnChild([process.execPath, "run", `${dir}/src/index.ts`], env);
  void child.stdout.pipeTo(new WritableStream()).catch(() => {});
  const log: string[] = [];
  let url = "";
  await waitForLine(child.stderr, (line) => {
    log.push(line);
    if (line.includes("msg=listening")) url = logfmt(line).url ?? "";
    if (line.includes('msg="refresh incomplete"') || line.includes("level=error")) throw new Error(`exporter: ${line}`);
    return line.includes('msg="refresh succeeded"') ? true : undefined;
  });
  if (!url) throw new Error("exporter did not log its URL");
  void collectLines(child.stderr, log);
  // SIGKILL: shutdown (a final push that may wait 2 × 3 s on the black hole) is not measured here.
  return { url, pid: child.pid, log, stop: async () => (child.kill("SIGKILL"), void (await child.exited)) };
}

async function collectLines(stream: ReadableStream<Uint8Array>, into: string[]): Promise<void> {
  const decoder = new TextDecoder();
  let buf = "";
  for await (const chunk of stream) {
    const lines = (buf + decoder.decode(chunk, { stream: true })).split("\n");
    buf = lines.pop()!;
    into.push(...lines);
  }
}

interface Counters {
  exports: number;
  failures: Record<string, number>;
}

/** The pusher's own counters from /metrics: proof that it really pushed. */
async function otlpCounters(url: string): Promise<Counters> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const exports = Number(/^nvidia_cls_otlp_exports_total(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1] ?? 0);
  const failures: Record<string, number> = {};
  for (const m of text.matchAll(/^nvidia_cls_otlp_export_failures_total\{[^}]*reason="(\w+)"[^}]*\} (\S+)$/gm))
    if (Number(m[2]) > 0) failures[m[1]!] = Number(m[2]);
  return { exports, failures };
}

const failed = (c: Counters) => Object.values(c.failures).reduce((a, b) => a + b, 0);

/** Fails loudly unless a pushing variant counted more failed pushes at the end than at the start. */
function checkPushed(variant: Variant, before: Counters, after: Counters): void {
  if (variant === "off") {
    if (after.exports !== 0) throw new Error(`push is off but the exporter counted ${after.exports} pushes`);
    return;
  }
  if (!(failed(after) > failed(before)))
    throw new Error(
      `${variant}: nvidia_cls_otlp_export_failures_total did not grow (${JSON.stringify(before)} → ${JSON.stringify(after)}); the exporter did not push`,
    );
  if (after.exports - failed(after) > 1) throw new Error(`${variant}: pushes succeeded against a dead collector: ${JSON.stringify(after)}`);
}

/**
 * The counters once a failure was counted after `before`: a black-holed push only fails at its
 * 10 s deadline, which a short run (small --duration) may not reach by itself. The wait is not measured.
 */
async function countersAfterAFailure(url: string, variant: Variant, before: Counters): Promise<Counters> {
  const until = performance.now() + 15_000;
  for (;;) {
    const now = await otlpCounters(url);
    if (variant === "off" || failed(now) > failed(before) || performance.now() > until) return now;
    await Bun.sleep(500);
  }
}

/** One wrk run; fails loudly on non-2xx answers so a broken server cannot look fast. */
async function wrk(url: string, gzip: boolean, seconds: number): Promise<number> {
  const child = spawnChild(["wrk", "-t2", `-c${CONNS}`, `-d${seconds}s`, ...(gzip ? ["-H", "Accept-Encoding: gzip"] : []), url]);
  const [out] = await Promise.all([new Response(child.stdout).text(), child.exited]);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (!rps || child.exitCode !== 0) throw new Error(`wrk failed: ${out}`);
  if (/Non-2xx/.test(out)) throw new Error(`wrk saw non-2xx answers from ${url}:\n${out}`);
  return Number(rps[1]);
}

/** Accepts TCP connections on 127.0.0.1 and never answers: the gRPC handshake hangs until the deadline. */
function blackHole() {
  const conns = { opened: 0, open: 0 };
  const server = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: { open: () => void (conns.opened++, conns.open++), close: () => void conns.open--, data() {} },
  });
  return { port: server.port, conns, stop: () => server.stop(true) };
}

interface RunResult {
  gzip: number;
  plain: number;
  counters: Counters;
  seconds: number;
  warnings: string[];
}

/** Spawn, first refresh, 2 s warm-up (the first pushes go out meanwhile), wrk gzip and plain, stop. */
async function throughputRun(
  env: Record<string, string>,
  variant: Variant,
  simUrl: string,
  orgName: string,
  gzipFirst: boolean,
): Promise<RunResult> {
  const t0 = performance.now();
  const e = await startLoggedExporter(simUrl, orgName, env);
  const url = `${e.url}/metrics`;
  await wrk(url, true, 2);
  const before = await otlpCounters(e.url);
  const got: Record<string, number> = {};
  for (const gz of gzipFirst ? [true, false] : [false, true]) got[gz ? "gzip" : "plain"] = await wrk(url, gz, DURATION);
  const after = await countersAfterAFailure(e.url, variant, before);
  const seconds = (performance.now() - t0) / 1000;
  await e.stop();
  checkPushed(variant, before, after);
  return { gzip: got.gzip!, plain: got.plain!, counters: after, seconds, warnings: e.log.filter((l) => /level=(warn|error)/.test(l)) };
}

/** Rounds of the three variants; each round starts one later in the list and every other round runs backwards. */
function orderFor(round: number): Variant[] {
  const rotated = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]!);
  return round % 2 ? rotated.reverse() : rotated;
}

async function throughput(
  envs: Record<Variant, Record<string, string>>,
  simUrl: string,
  orgName: string,
): Promise<Record<Variant, RunResult[]>> {
  const runs: Record<Variant, RunResult[]> = { off: [], refused: [], "black-holed": [] };
  for (let r = 0; r < ROUNDS; r++) {
    const order = orderFor(r);
    for (const v of order) {
      const res = await throughputRun(envs[v], v, simUrl, orgName, r % 2 === 0);
      runs[v].push(res);
      progress(
        `round ${r + 1} ${order.join("→")}: ${v} gzip ${fixed(res.gzip, 0)} req/s, plain ${fixed(res.plain, 0)} req/s, pushes ${res.counters.exports}, failures ${JSON.stringify(res.counters.failures)} in ${fixed(res.seconds, 1)} s`,
      );
    }
  }
  return runs;
}

interface MemoryRun {
  rss: number[];
  /** Open file descriptors of the exporter at the first and the last sample. */
  fds: [number, number];
  counters: Counters;
  /** TCP connections the black hole accepted during the run, and how many were open at its end. */
  hole: { opened: number; open: number };
  /** CPU time (user + system) the exporter used per second of wall time, between the first and the last sample. */
  cpuMsPerS: number;
  warnings: string[];
}

/** utime + stime of a process in ms, from /proc (clock ticks of 10 ms). */
async function cpuMsOf(pid: number): Promise<number> {
  const fields = (await Bun.file(`/proc/${pid}/stat`).text()).split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const fdCount = (pid: number) => Array.from(new Bun.Glob("*").scanSync({ cwd: `/proc/${pid}/fd`, onlyFiles: false })).length;

/** RSS every 5 s while the exporter idles (nothing scrapes it) and, in the pushing variants, pushes every second. */
async function memoryRun(
  env: Record<string, string>,
  variant: Variant,
  simUrl: string,
  orgName: string,
  hole: ReturnType<typeof blackHole>,
): Promise<MemoryRun> {
  const opened0 = hole.conns.opened;
  const e = await startLoggedExporter(simUrl, orgName, env);
  const before = await otlpCounters(e.url);
  const rss: number[] = [];
  const fds: number[] = [];
  const cpu: Array<[number, number]> = [];
  for (let t = 5_000; t <= MEMORY_MS; t += 5_000) {
    await Bun.sleep(5_000);
    rss.push(await rssOf(e.pid));
    fds.push(fdCount(e.pid));
    cpu.push([performance.now(), await cpuMsOf(e.pid)]);
  }
  const cpuMsPerS = ((cpu.at(-1)![1] - cpu[0]![1]) / (cpu.at(-1)![0] - cpu[0]![0])) * 1000;
  const counters = await countersAfterAFailure(e.url, variant, before);
  const holeAtEnd = { opened: hole.conns.opened - opened0, open: hole.conns.open };
  await e.stop();
  checkPushed(variant, before, counters);
  return {
    rss,
    fds: [fds[0]!, fds.at(-1)!],
    counters,
    hole: holeAtEnd,
    cpuMsPerS,
    warnings: e.log.filter((l) => /level=(warn|error)/.test(l)),
  };
}

// ---------------------------------------------------------------------------------------------
// Report.

function reportPushCost(cases: PushCase[], logLines: string[]): void {
  const c0 = cases[0]!;
  console.log(`### Cost of one push (in-process, ${PUSHES} pushes after ${WARMUP_PUSHES} warm-ups; ms median (p95))\n`);
  console.log(
    `${c0.points} data points in ${c0.families} metric families (the /metrics catalogue of the org plus the exporter's own and OTLP counters); ExportMetricsServiceRequest ${c0.bytes} bytes (${mb(c0.bytes)}), ${c0.gzipBytes} bytes gzipped.\n`,
  );
  console.log(
    "| compression | (i) toResourceMetrics | protobuf encode alone | (ii) export() synchronous | (i) + (ii) medians | (iii) OtlpPusher.push() synchronous | longest event-loop stall during the push (1 ms probe) | (iv) wall time to the receiver's ack, pusher | export() to ack |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const c of cases) {
    const col = (k: keyof PushSample) => ms(c.samples.map((s) => s[k]));
    const sum = median(c.samples.map((s) => s.build)) + median(c.samples.map((s) => s.exportSync));
    console.log(
      `| ${c.compression} | ${col("build")} | ${col("serialize")} | ${col("exportSync")} | ${fixed(sum)} | ${col("pusherSync")} | ${col("lag")} | ${col("pusherAck")} | ${col("exportAck")} |`,
    );
  }
  console.log(
    `\nWarnings logged by the in-process pusher: ${logLines.length === 0 ? "none" : logLines.map((l) => `\`${l.trim()}\``).join("; ")}.`,
  );
  console.log(
    `\nraw push samples: ${JSON.stringify(cases.map((c) => ({ compression: c.compression, samples: c.samples.map((s) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Number(v.toFixed(3))]))) })))}\n`,
  );
}

function reportThroughput(runs: Record<Variant, RunResult[]>): void {
  console.log(`### /metrics req/s while pushing every 1 s to a dead collector (wrk -t2 -c${CONNS} -d${DURATION}s, ${ROUNDS} rounds)\n`);
  console.log(`| encoding | variant | req/s median | ratio of medians vs push off | per-round ratios | target ≥ ${TARGET} |`);
  console.log("|---|---|---|---|---|---|");
  for (const enc of ["gzip", "plain"] as const) {
    const off = runs.off.map((r) => r[enc]);
    for (const v of VARIANTS) {
      const xs = runs[v].map((r) => r[enc]);
      const ratio = median(xs) / median(off);
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
  console.log(
    `\nraw req/s: ${JSON.stringify(Object.fromEntries(VARIANTS.map((v) => [v, runs[v].map((r) => ({ gzip: r.gzip, plain: r.plain }))])))}\n`,
  );
}

function reportMemory(mem: Record<Variant, MemoryRun>, hole: ReturnType<typeof blackHole>["conns"]): void {
  console.log(`### RSS over ${MEMORY_MS / 1000} s, sampled every 5 s (no scrapes)\n`);
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
  console.log(
    `\nraw RSS (MB): ${JSON.stringify(Object.fromEntries(VARIANTS.map((v) => [v, mem[v].rss.map((x) => Number((x / 1e6).toFixed(1)))])))}\n`,
  );
}

/** Distinct warning messages (time stripped) from the exporter processes, with how often each came. */
function reportWarnings(all: string[]): void {
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

// ---------------------------------------------------------------------------------------------

const started = new Date();
// Taken now: the code measured is the code at the start of the run.
const commit = revision();
const cost = PARTS.has("cost") ? await pushCost() : undefined;
const sim = startSimulator({ scenario: largeOrg(), apiKey: API_KEY });
const hole = blackHole();
const pushing = (port: number) => ({ OTEL_ENABLED: "true", OTEL_PUSH_INTERVAL: "1s", OTEL_ENDPOINT: `127.0.0.1:${port}` });
const envs: Record<Variant, Record<string, string>> = {
  off: { OTEL_ENABLED: "false" },
  refused: pushing(freePort()),
  "black-holed": pushing(hole.port),
};
const runs = PARTS.has("throughput") ? await throughput(envs, sim.url, sim.orgName) : undefined;
let mem: Record<Variant, MemoryRun> | undefined;
if (PARTS.has("memory")) {
  mem = {} as Record<Variant, MemoryRun>;
  for (const v of VARIANTS) {
    progress(`memory, ${v}: ${MEMORY_MS / 1000} s`);
    mem[v] = await memoryRun(envs[v], v, sim.url, sim.orgName, hole);
  }
}

console.log(`## (f) OTLP push (${machineNotes()}, started ${started.toISOString()}, commit ${commit})\n`);
console.log(
  `Org generated ${LARGE_ORG_CLI}; \`bun run bench/otlp.ts ${Bun.argv.slice(2).join(" ")}\` (--pushes ${PUSHES} --rounds ${ROUNDS} --duration ${DURATION} --connections ${CONNS} --memory-seconds ${MEMORY_MS / 1000} --parts ${[...PARTS].join(",")}).\n`,
);
if (cost) reportPushCost(cost.cases, cost.logLines);
if (runs) reportThroughput(runs);
if (mem) reportMemory(mem, hole.conns);
reportWarnings([
  ...(runs ? VARIANTS.flatMap((v) => runs[v].flatMap((r) => r.warnings)) : []),
  ...(mem ? VARIANTS.flatMap((v) => mem![v].warnings) : []),
]);

killChildren();
hole.stop();
await sim.stop();
process.exit(0);
