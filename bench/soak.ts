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
 *   process (this file with --receiver), up for --collector-up s, then killed (SIGTERM) for
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
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { Subprocess } from "bun";
import type { FaultRuleInput } from "../src/sim/faults.ts";
import {
  API_KEY,
  deadline,
  fixed,
  killChildren,
  LARGE_ORG,
  LARGE_ORG_CLI,
  logfmt,
  machineNotes,
  median,
  ROOT,
  rssOf,
  spawnChild,
  verdict,
} from "./lib.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  strict: true,
  options: {
    minutes: { type: "string", default: "30" },
    rate: { type: "string", default: "50" },
    "fault-every": { type: "string", default: "60" },
    "sample-every": { type: "string", default: "30" },
    "collector-up": { type: "string", default: "120" },
    "collector-down": { type: "string", default: "60" },
    out: { type: "string" },
    // Internal: this file also serves as the collector process.
    receiver: { type: "boolean", default: false },
    port: { type: "string", default: "0" },
    lifetime: { type: "string", default: "3600" },
  },
});

if (values.receiver) await runReceiver(Number(values.port), Number(values.lifetime) * 1000);

/** Child mode: the OTLP receiver on 127.0.0.1:port; prints `listening port=N`, then `pushes=N` as pushes arrive. */
async function runReceiver(port: number, lifetimeMs: number): Promise<never> {
  const { startReceiver } = await import("../test/integration/otlp-receiver.ts");
  const receiver = await startReceiver({ port });
  console.log(`listening port=${receiver.port}`);
  // The decoded pushes are only counted; dropping them keeps this process small.
  setInterval(() => {
    const n = receiver.pushes.length;
    if (n === 0) return;
    receiver.pushes.length = 0;
    console.log(`pushes=${n}`);
  }, 250);
  setTimeout(() => process.exit(0), lifetimeMs);
  return new Promise<never>(() => {});
}

function positive(name: string, raw: string): number {
  const x = Number(raw);
  if (!Number.isFinite(x) || x <= 0) {
    console.error(`soak: --${name} must be a positive number, got "${raw}"`);
    process.exit(2);
  }
  return x;
}

const MINUTES = positive("minutes", values.minutes);
const RATE = positive("rate", values.rate);
const FAULT_EVERY_S = positive("fault-every", values["fault-every"]);
const SAMPLE_EVERY_S = positive("sample-every", values["sample-every"]);
const COLLECTOR_UP_S = positive("collector-up", values["collector-up"]);
const COLLECTOR_DOWN_S = positive("collector-down", values["collector-down"]);
const TOTAL_MS = MINUTES * 60_000;
const SAMPLES = Math.floor(TOTAL_MS / (SAMPLE_EVERY_S * 1000));
if (SAMPLES < 6) {
  console.error(`soak: ${MINUTES} min sampled every ${SAMPLE_EVERY_S} s gives ${SAMPLES} samples; at least 6 are needed`);
  process.exit(2);
}
/** Warm-up, the reference window after it and the final window: 5 minutes each, or a sixth of a shorter run. */
const WINDOW_MS = Math.min(5 * 60_000, TOTAL_MS / 6);
const SCRAPE_TIMEOUT_MS = 10_000;
const MAX_IN_FLIGHT = 200;
const CHURN = "5s";
// LOG_LEVEL debug: the repeats of a failure (written at debug) are refreshes too, for the tally.
const EXPORTER_ENV = { CACHE_TTL: "10s", SCRAPE_TIMEOUT: "5s", OTEL_ENABLED: "true", OTEL_PUSH_INTERVAL: "5s", LOG_LEVEL: "debug" };
/** Prometheus 2.x's scrape Accept header (it asks for OpenMetrics first), and gzip as it always sends. */
const SCRAPE_HEADERS = {
  accept:
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
  "accept-encoding": "gzip",
};
const PROBE = fileURLToPath(new URL("./soak-lag-probe.ts", import.meta.url));
const GROWTH_TARGET = 0.05;

deadline(TOTAL_MS + 240_000);
const progress = (msg: string) => console.error(`soak: ${msg}`);

// ---------------------------------------------------------------------------------------------
// Helpers.

/** Calls `onLine` for every line of a child's stream until it ends. */
async function eachLine(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buf = "";
  try {
    for await (const chunk of stream) {
      const lines = (buf + decoder.decode(chunk, { stream: true })).split("\n");
      buf = lines.pop()!;
      for (const l of lines) onLine(l);
    }
  } catch {
    // The child went away; its exit is handled where it is awaited.
  }
  if (buf) onLine(buf);
}

/** Resolves with the first value `match` returns for a line, rejects after `ms` or when `failed` says so. */
function lineWaiter<T>(ms: number, what: string) {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  const timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
  void promise.then(
    () => clearTimeout(timer),
    () => clearTimeout(timer),
  );
  return { promise, resolve, reject };
}

const sleepUntil = (at: number) => Bun.sleep(Math.max(0, at - performance.now()));

/** Nearest-rank percentile. */
function pct(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(s.length * q) - 1))]!;
}

const f1 = (x: number) => (Number.isFinite(x) ? fixed(x, 1) : "–");
const MB = (bytes: number) => (bytes / 1e6).toFixed(1);
const mmss = (s: number) => {
  const r = Math.round(s);
  return `${Math.floor(r / 60)}:${String(r % 60).padStart(2, "0")}`;
};
const pctText = (x: number) => `${x >= 0 ? "+" : ""}${fixed(x * 100, 1)} %`;

function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

function revision(): string {
  const dir = process.env.BENCH_EXPORTER_DIR || ROOT;
  const rev = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], { cwd: dir }).stdout.toString().trim();
  const dirty = Bun.spawnSync(["git", "status", "--porcelain", "--", "src"], { cwd: dir }).stdout.toString().trim();
  return `${rev || "unknown"}${dirty ? " + uncommitted changes in src/" : ""}`;
}

// ---------------------------------------------------------------------------------------------
// Simulator (own process) and its control API.

interface SimStatsLite {
  total: number;
  byStatus: Record<string, number>;
  inFlight: number;
}

async function startSim() {
  const args = [
    "--generate",
    LARGE_ORG_CLI,
    "--seed",
    String(LARGE_ORG.seed),
    "--org",
    LARGE_ORG.orgName!,
    "--api-key",
    API_KEY,
    "--churn-interval",
    CHURN,
  ];
  const child = spawnChild([process.execPath, "run", "src/sim/main.ts", ...args]);
  const ready = lineWaiter<string>(30_000, "simulator");
  void eachLine(child.stdout, (l) => l.startsWith("http://") && ready.resolve(l.trim()));
  void eachLine(child.stderr, () => {});
  void child.exited.then((code) => ready.reject(new Error(`simulator exited with ${code}`)));
  const url = await ready.promise;
  const control = async (path: string, init?: RequestInit): Promise<any> => {
    const res = await fetch(`${url}/_sim/${path}`, init);
    const body = await res.json();
    if (!res.ok) throw new Error(`sim ${init?.method ?? "GET"} /_sim/${path}: ${res.status} ${JSON.stringify(body)}`);
    return body;
  };
  return {
    url,
    child,
    orgName: LARGE_ORG.orgName!,
    setFaults: (rules: FaultRuleInput[]) =>
      rules.length
        ? control("faults", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(rules) })
        : control("faults", { method: "DELETE" }),
    stats: async (): Promise<SimStatsLite> => {
      const s = await control("stats");
      return { total: s.total, byStatus: s.byStatus, inFlight: s.inFlight };
    },
    vgIds: async (): Promise<number[]> => ((await control("expected")).virtualGroups as Array<{ vgId: number }>).map((g) => g.vgId),
  };
}

interface Fault {
  name: string;
  rules: FaultRuleInput[];
}

/** The cycle of faults, one per --fault-every window; "none" windows let the exporter recover in between. */
function faultCycle(vgId: number): Fault[] {
  const none: Fault = { name: "none", rules: [] };
  return [
    none,
    { name: "license_servers 500", rules: [{ endpoint: "license_servers", status: 500 }] },
    none,
    { name: "virtual_groups 429 Retry-After 2", rules: [{ endpoint: "virtual_groups", status: 429, retryAfter: "2" }] },
    { name: "leases hang", rules: [{ endpoint: "leases", hang: true }] },
    none,
    { name: "license_pools malformed", rules: [{ endpoint: "license_pools", malformed: true }] },
    { name: "virtual_groups 401", rules: [{ endpoint: "virtual_groups", status: 401 }] },
    none,
    { name: "leases corruptCompressed", rules: [{ endpoint: "leases", corruptCompressed: true }] },
    { name: "license_servers +7 s latency", rules: [{ endpoint: "license_servers", latencyMs: 7000 }] },
    none,
    {
      name: `vg ${vgId} 503`,
      rules: (["license_servers", "license_pools", "leases"] as const).map((endpoint) => ({ endpoint, vgId, status: 503 })),
    },
    { name: "virtual_groups 502", rules: [{ endpoint: "virtual_groups", status: 502 }] },
  ];
}

// ---------------------------------------------------------------------------------------------
// Collector (own process, restarted on the same port).

class Collector {
  up = false;
  received = 0;
  starts = 0;
  private child: Subprocess<"ignore", "pipe", "pipe"> | undefined;

  constructor(
    readonly port: number,
    private readonly lifetimeS: number,
  ) {}

  async start(): Promise<void> {
    let lastError: Error | undefined;
    // The port was ours a moment ago; a bind can fail while the old process is still going away.
    for (let attempt = 0; attempt < 10; attempt++) {
      const child = spawnChild([
        process.execPath,
        "run",
        "bench/soak.ts",
        "--receiver",
        "--port",
        String(this.port),
        "--lifetime",
        String(this.lifetimeS),
      ]);
      const ready = lineWaiter<void>(20_000, "collector");
      void eachLine(child.stdout, (l) => {
        if (l.startsWith("listening port=")) ready.resolve();
        else if (l.startsWith("pushes=")) this.received += Number(l.slice(7));
      });
      const err: string[] = [];
      void eachLine(child.stderr, (l) => err.push(l));
      void child.exited.then((code) => ready.reject(new Error(`collector exited with ${code}: ${err.slice(-3).join(" | ")}`)));
      try {
        await ready.promise;
        this.child = child;
        this.up = true;
        this.starts++;
        return;
      } catch (e) {
        lastError = e as Error;
        child.kill();
        await Bun.sleep(300);
      }
    }
    throw lastError!;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    this.up = false;
    if (child) {
      child.kill();
      await child.exited;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Exporter (own process, lag probe preloaded).

/** Counts the exporter's log lines by level, message, endpoint and reason; keeps the last lines and the first errors. */
class LogTally {
  readonly counts = new Map<string, number>();
  readonly errors: string[] = [];
  readonly tail: string[] = [];
  refreshMs: number[] = [];

  add(line: string): void {
    if (!line.trim()) return;
    this.tail.push(line);
    if (this.tail.length > 40) this.tail.shift();
    const f = logfmt(line);
    if (f.msg?.startsWith("refresh ")) this.refreshMs.push(Number(f.duration_ms));
    if (f.level === "info") return;
    if (f.level === "error" && this.errors.length < 10) this.errors.push(line);
    const key = `level=${f.level ?? "?"} msg="${f.msg ?? line.slice(0, 120)}"${f.endpoint ? ` endpoint=${f.endpoint}` : ""}${f.reason ? ` reason=${f.reason}` : ""}`;
    if (this.counts.size < 100 || this.counts.has(key)) this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
}

async function startExporter(simUrl: string, orgName: string, collectorPort: number, dbPath: string, lagFile: string) {
  const dir = (process.env.BENCH_EXPORTER_DIR || ROOT).replace(/\/$/, "");
  const env = {
    NVIDIA_API_KEY: API_KEY,
    NVIDIA_ORG_NAME: orgName,
    NVIDIA_API_BASE_URL: simUrl,
    LISTEN_ADDRESS: "127.0.0.1:0",
    DB_PATH: dbPath,
    OTEL_ENDPOINT: `127.0.0.1:${collectorPort}`,
    ...EXPORTER_ENV,
    SOAK_LAG_FILE: lagFile,
    SOAK_LAG_PERIOD_MS: "1000",
  };
  // `bun run --preload X file` (Bun 1.4.5 does not accept `bun --preload X run file`).
  const child = spawnChild([process.execPath, "run", "--preload", PROBE, `${dir}/src/index.ts`], env);
  void eachLine(child.stdout, () => {});
  const log = new LogTally();
  let url = "";
  const ready = lineWaiter<void>(60_000, "exporter's first refresh");
  void eachLine(child.stderr, (line) => {
    log.add(line);
    if (line.includes("msg=listening")) url = logfmt(line).url ?? "";
    if (line.includes('msg="refresh succeeded"')) ready.resolve();
    if (line.includes("level=error") || line.includes('msg="refresh incomplete"')) ready.reject(new Error(`exporter: ${line}`));
  });
  void child.exited.then((code) => ready.reject(new Error(`exporter exited with ${code}: ${log.tail.slice(-5).join(" | ")}`)));
  await ready.promise;
  if (!url) throw new Error("exporter did not log its URL");
  return { url, pid: child.pid, child, log, dir };
}

/** The exporter's own counters from one plain scrape. */
async function exporterCounters(url: string) {
  const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) })).text();
  const one = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text)?.[1] ?? Number.NaN);
  const sum = (name: string) => [...text.matchAll(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, "gm"))].reduce((a, m) => a + Number(m[1]), 0);
  return {
    refreshes: one("nvidia_cls_refreshes_total"),
    up: one("nvidia_cls_up"),
    refreshErrors: sum("nvidia_cls_refresh_errors_total"),
    otlpExports: one("nvidia_cls_otlp_exports_total"),
    otlpFailures: sum("nvidia_cls_otlp_export_failures_total"),
    historyBytes: one("nvidia_cls_history_database_bytes"),
    historyWriteErrors: sum("nvidia_cls_history_write_errors_total"),
  };
}

/** utime + stime of a process in ms (clock ticks of 10 ms). */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const fdsOf = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

/** New complete lines of the probe's file since the last call. */
function lagReader(file: string) {
  let offset = 0;
  return (): number[] => {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      return [];
    }
    const end = text.lastIndexOf("\n") + 1;
    const fresh = text.slice(offset, end);
    offset = end;
    return fresh
      .split("\n")
      .filter(Boolean)
      .flatMap((l) => (JSON.parse(l) as { lateMs: number[] }).lateMs);
  };
}

// ---------------------------------------------------------------------------------------------
// Load.

interface Window {
  ok: number;
  failed: number;
  latencies: number[];
}
const newWindow = (): Window => ({ ok: 0, failed: 0, latencies: [] });

class Load {
  window = newWindow();
  sent = 0;
  ok = 0;
  failed = 0;
  skipped = 0;
  inFlight = 0;
  bytes = 0;
  notGzip = 0;
  readonly latencies: number[] = [];
  readonly sendDelays: number[] = [];
  readonly failures: Array<{ t: number; fault: string; error: string }> = [];
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly url: string,
    private readonly t0: number,
    private readonly faultAt: (t: number) => string,
  ) {}

  async run(endAt: number): Promise<void> {
    const interval = 1000 / RATE;
    let slot = 0;
    for (;;) {
      const now = performance.now();
      while (this.t0 + slot * interval <= now) {
        const slotAt = this.t0 + slot * interval;
        if (slotAt >= endAt) break;
        slot++;
        // Never a burst to make up for our own lag: a slot more than 1 s late is skipped and counted.
        if (now - slotAt > 1000 || this.inFlight >= MAX_IN_FLIGHT) {
          this.skipped++;
          continue;
        }
        this.sendDelays.push(now - slotAt);
        const p = this.scrape();
        this.pending.add(p);
        void p.then(() => this.pending.delete(p));
      }
      const next = this.t0 + slot * interval;
      if (next >= endAt) break;
      await sleepUntil(next);
    }
    await Promise.all(this.pending);
  }

  private async scrape(): Promise<void> {
    this.sent++;
    this.inFlight++;
    const start = performance.now();
    try {
      const res = await fetch(this.url, { headers: SCRAPE_HEADERS, decompress: false, signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
      const body = await res.arrayBuffer();
      const ms = performance.now() - start;
      if (res.status !== 200 || body.byteLength === 0)
        return this.fail(start, `HTTP ${res.status}, ${body.byteLength} bytes: ${new TextDecoder().decode(body.slice(0, 200))}`);
      if (res.headers.get("content-encoding") !== "gzip") this.notGzip++;
      this.bytes += body.byteLength;
      this.ok++;
      this.latencies.push(ms);
      this.window.ok++;
      this.window.latencies.push(ms);
    } catch (e) {
      this.fail(start, `${(e as Error).name}: ${(e as Error).message}`);
    } finally {
      this.inFlight--;
    }
  }

  private fail(start: number, error: string): void {
    this.failed++;
    this.window.failed++;
    const t = (start - this.t0) / 1000;
    if (this.failures.length < 10) this.failures.push({ t, fault: this.faultAt(t), error: error.slice(0, 300) });
  }

  take(): Window {
    const w = this.window;
    this.window = newWindow();
    return w;
  }
}

// ---------------------------------------------------------------------------------------------
// The run.

interface Sample {
  t: number;
  faults: string[];
  collector: string;
  rssBytes: number;
  fds: number;
  cpuPct: number;
  lagTicks: number;
  lagP99Ms: number;
  lagMaxMs: number;
  clsCalls: number;
  clsNotOk: number;
  simInFlight: number;
  refreshes: number;
  refreshMaxMs: number;
  refreshErrors: number;
  up: number;
  scrapesOk: number;
  scrapesFailed: number;
  scrapeRate: number;
  scrapeP50Ms: number;
  scrapeP99Ms: number;
  scrapeMaxMs: number;
  otlpPushes: number;
  otlpFailures: number;
  collectorReceived: number;
  historyBytes: number;
  historyWriteErrors: number;
}

const started = new Date();
const commit = revision();
const tmp = mkdtempSync(join(tmpdir(), "soak-"));
const dbPath = join(tmp, "history.db");
const lagFile = join(tmp, "lag.jsonl");

progress(`simulator ${LARGE_ORG_CLI}, churn every ${CHURN}`);
const sim = await startSim();
const vgIds = await sim.vgIds();
const FAULTS = faultCycle(vgIds[1] ?? vgIds[0]!);
const collector = new Collector(freePort(), Math.ceil(TOTAL_MS / 1000) + 300);
await collector.start();
progress(`collector on 127.0.0.1:${collector.port}`);
const exporter = await startExporter(sim.url, sim.orgName, collector.port, dbPath, lagFile);
progress(`exporter ${exporter.dir}/src/index.ts pid ${exporter.pid} at ${exporter.url}; ${MINUTES} min at ${RATE} scrapes/s`);

let exporterExit: number | null = null;
void exporter.child.exited.then((code) => {
  exporterExit = code;
});

const t0 = performance.now();
const endAt = t0 + TOTAL_MS;
const elapsedS = () => (performance.now() - t0) / 1000;
const faultTimeline: Array<{ t: number; name: string }> = [];
const collectorTimeline: Array<{ t: number; up: boolean }> = [{ t: 0, up: true }];
const faultAt = (t: number) => [...faultTimeline].reverse().find((f) => f.t <= t)?.name ?? "none";
const load = new Load(`${exporter.url}/metrics`, t0, faultAt);
let stopping = false;

async function faultLoop(): Promise<void> {
  for (let k = 0; ; k++) {
    const at = t0 + k * FAULT_EVERY_S * 1000;
    if (at >= endAt) return;
    await sleepUntil(at);
    if (stopping) return;
    const fault = FAULTS[k % FAULTS.length]!;
    await sim.setFaults(fault.rules);
    // Timelines and windows use the scheduled times, so a flip and a sample at the same moment never blur.
    faultTimeline.push({ t: (at - t0) / 1000, name: fault.name });
    progress(`${mmss(elapsedS())} fault: ${fault.name}`);
  }
}

async function collectorLoop(): Promise<void> {
  let at = t0;
  for (;;) {
    at += (collector.up ? COLLECTOR_UP_S : COLLECTOR_DOWN_S) * 1000;
    if (at >= endAt) return;
    await sleepUntil(at);
    if (stopping) return;
    if (collector.up) await collector.stop();
    else await collector.start();
    collectorTimeline.push({ t: (at - t0) / 1000, up: collector.up });
    progress(`${mmss(elapsedS())} collector ${collector.up ? "up" : "down"}`);
  }
}

async function sampleLoop(): Promise<Sample[]> {
  const samples: Sample[] = [];
  const readLag = lagReader(lagFile);
  readLag(); // the lag before the first window (start-up and the first refresh) is not part of the soak
  let prevSim = await sim.stats();
  let prevCounters = await exporterCounters(exporter.url);
  let prevCpu = cpuMsOf(exporter.pid);
  let prevReceived = collector.received;
  let prevT = 0;
  let prevActual = 0;
  exporter.log.refreshMs = [];
  load.take();
  for (let k = 1; k <= SAMPLES; k++) {
    await sleepUntil(t0 + k * SAMPLE_EVERY_S * 1000);
    if (exporterExit !== null)
      throw new Error(`the exporter exited with ${exporterExit} at ${mmss(elapsedS())}: ${exporter.log.tail.slice(-5).join(" | ")}`);
    const t = k * SAMPLE_EVERY_S;
    const actual = elapsedS();
    const w = load.take();
    const rssBytes = await rssOf(exporter.pid);
    const fds = fdsOf(exporter.pid);
    const cpu = cpuMsOf(exporter.pid);
    const lag = readLag();
    const simStats = await sim.stats();
    const counters = await exporterCounters(exporter.url).catch((e: Error) => {
      load.failures.length < 10 && load.failures.push({ t, fault: faultAt(t), error: `sample scrape: ${e.message}` });
      return prevCounters;
    });
    const notOk = (s: SimStatsLite) => Object.entries(s.byStatus).reduce((a, [k, v]) => a + (k === "200" ? 0 : v), 0);
    const refreshMs = exporter.log.refreshMs;
    exporter.log.refreshMs = [];
    const windowStart = prevT;
    const faults = [faultAt(windowStart), ...faultTimeline.filter((f) => f.t > windowStart && f.t < t).map((f) => f.name)].filter(
      (x, i, a) => i === 0 || x !== a[i - 1],
    );
    const wasUp = [...collectorTimeline].reverse().find((c) => c.t <= windowStart)?.up ?? true;
    const changes = collectorTimeline.filter((c) => c.t > windowStart && c.t < t).map((c) => (c.up ? "up" : "down"));
    samples.push({
      t,
      faults,
      collector: [wasUp ? "up" : "down", ...changes].join("→"),
      rssBytes,
      fds,
      cpuPct: ((cpu - prevCpu) / ((actual - prevActual) * 1000)) * 100,
      lagTicks: lag.length,
      lagP99Ms: pct(lag, 0.99),
      lagMaxMs: lag.length ? Math.max(...lag) : Number.NaN,
      clsCalls: simStats.total - prevSim.total,
      clsNotOk: notOk(simStats) - notOk(prevSim),
      simInFlight: simStats.inFlight,
      refreshes: counters.refreshes - prevCounters.refreshes,
      refreshMaxMs: refreshMs.length ? Math.max(...refreshMs) : Number.NaN,
      refreshErrors: counters.refreshErrors - prevCounters.refreshErrors,
      up: counters.up,
      scrapesOk: w.ok,
      scrapesFailed: w.failed,
      scrapeRate: (w.ok + w.failed) / (actual - prevActual),
      scrapeP50Ms: pct(w.latencies, 0.5),
      scrapeP99Ms: pct(w.latencies, 0.99),
      scrapeMaxMs: w.latencies.length ? Math.max(...w.latencies) : Number.NaN,
      otlpPushes: counters.otlpExports - prevCounters.otlpExports,
      otlpFailures: counters.otlpFailures - prevCounters.otlpFailures,
      collectorReceived: collector.received - prevReceived,
      historyBytes: counters.historyBytes,
      historyWriteErrors: counters.historyWriteErrors,
    });
    allLag.push(...lag);
    const s = samples.at(-1)!;
    progress(
      `${mmss(t)} RSS ${MB(rssBytes)} MB, fds ${fds}, lag p99 ${f1(s.lagP99Ms)} max ${f1(s.lagMaxMs)} ms, CLS calls ${s.clsCalls}, scrapes ${s.scrapesOk} ok ${s.scrapesFailed} failed, p99 ${f1(s.scrapeP99Ms)} ms, fault ${faults.join("→")}, collector ${s.collector}`,
    );
    prevSim = simStats;
    prevCounters = counters;
    prevCpu = cpu;
    prevReceived = collector.received;
    prevT = t;
    prevActual = actual;
  }
  return samples;
}

const allLag: number[] = [];
let samples: Sample[];
try {
  // Awaited together: a loop failing mid-run ends the run at once (and its children are killed).
  [samples] = await Promise.all([sampleLoop(), load.run(endAt), faultLoop(), collectorLoop()]);
} catch (e) {
  progress(`failed: ${(e as Error).message}`);
  console.error(exporter.log.tail.slice(-20).join("\n"));
  console.log(
    `## Soak: FAILED at ${mmss(elapsedS())} (${machineNotes()}, commit ${commit})\n\n${(e as Error).message}\n\nScrapes until then: ${load.ok} ok, ${load.failed} failed, ${load.skipped} skipped.${load.failures.map((f) => `\n- ${mmss(f.t)} (fault ${f.fault}): ${f.error}`).join("")}`,
  );
  killChildren();
  rmSync(tmp, { recursive: true, force: true });
  process.exit(1);
}
stopping = true;
const loadSeconds = (performance.now() - t0) / 1000;

// Stop the exporter as an orchestrator would, with whatever fault and collector state the run ended in.
const finalFault = faultAt(elapsedS());
const finalCollector = collector.up ? "up" : "down";
const dbFiles = readdirSync(tmp).filter((f) => f.startsWith("history.db"));
const dbBytes = dbFiles.reduce((a, f) => a + statSync(join(tmp, f)).size, 0);
const stopT0 = performance.now();
exporter.child.kill("SIGTERM");
const exitCode = await Promise.race([exporter.child.exited, Bun.sleep(20_000).then(() => null)]);
const exitMs = performance.now() - stopT0;
const simFinal = await sim.stats();
await collector.stop();
killChildren();

// ---------------------------------------------------------------------------------------------
// Report.

const inWindow = (from: number, to: number) => samples.filter((s) => s.t * 1000 > from && s.t * 1000 <= to + 1);
const ref = inWindow(WINDOW_MS, 2 * WINDOW_MS);
const last = inWindow(TOTAL_MS - WINDOW_MS, TOTAL_MS);
const growth = (pick: (s: Sample) => number) => median(last.map(pick)) / median(ref.map(pick)) - 1;
const rssGrowth = growth((s) => s.rssBytes);
const fdGrowth = growth((s) => s.fds);
const completed = load.ok + load.failed;
const clsPerMin = samples.reduce((a, s) => a + s.clsCalls, 0) / (samples.at(-1)!.t / 60);
const win = (ms: number) => `${fixed(ms / 60_000, ms % 60_000 ? 1 : 0)} min`;

console.log(
  `## Soak: ${MINUTES} min at ${RATE} scrapes/s, faults every ${FAULT_EVERY_S} s, collector ${COLLECTOR_UP_S} s up / ${COLLECTOR_DOWN_S} s down (${machineNotes()}, started ${started.toISOString()}, commit ${commit})\n`,
);
console.log(
  `\`bun run bench/soak.ts ${Bun.argv.slice(2).join(" ")}\`${process.env.BENCH_EXPORTER_DIR ? ` with BENCH_EXPORTER_DIR=${process.env.BENCH_EXPORTER_DIR}` : ""}. Org generated ${LARGE_ORG_CLI} (seed ${LARGE_ORG.seed}), simulator in its own process churning every ${CHURN}; exporter \`${exporter.dir}/src/index.ts\` with ${Object.entries(
    EXPORTER_ENV,
  )
    .map(([k, v]) => `${k}=${v}`)
    .join(
      ", ",
    )}, history in a temporary DB_PATH; scrapes with Prometheus' Accept header and Accept-Encoding: gzip, ${SCRAPE_TIMEOUT_MS / 1000} s timeout.\n`,
);
console.log(
  "| t | fault(s) in the window | collector | RSS MB | fds | CPU % | loop lag p99 / max ms | CLS calls (not 200) | refreshes (longest ms) | up | scrapes ok / failed | scrapes/s | scrape ms p50 / p99 / max | OTLP pushes (failed) / received | history DB MB |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
for (const s of samples) {
  console.log(
    `| ${mmss(s.t)} | ${s.faults.join(" → ")} | ${s.collector} | ${MB(s.rssBytes)} | ${s.fds} | ${fixed(s.cpuPct, 0)} | ${f1(s.lagP99Ms)} / ${f1(s.lagMaxMs)} | ${s.clsCalls} (${s.clsNotOk}) | ${s.refreshes} (${Number.isFinite(s.refreshMaxMs) ? s.refreshMaxMs : "–"}) | ${s.up} | ${s.scrapesOk} / ${s.scrapesFailed} | ${f1(s.scrapeRate)} | ${f1(s.scrapeP50Ms)} / ${f1(s.scrapeP99Ms)} / ${f1(s.scrapeMaxMs)} | ${s.otlpPushes} (${s.otlpFailures}) / ${s.collectorReceived} | ${MB(s.historyBytes)} |`,
  );
}
const mRef = (pick: (s: Sample) => number) => median(ref.map(pick));
const mLast = (pick: (s: Sample) => number) => median(last.map(pick));
console.log(
  `\nWarm-up: the first ${win(WINDOW_MS)}. Reference: ${win(WINDOW_MS)}–${win(2 * WINDOW_MS)} (${ref.length} samples); end: the last ${win(WINDOW_MS)} (${last.length} samples).\n`,
);
console.log("| measure | result | target | verdict |");
console.log("|---|---|---|---|");
console.log(
  `| RSS growth, median of the end ÷ median of the reference − 1 | **${pctText(rssGrowth)}** (${MB(mLast((s) => s.rssBytes))} vs ${MB(mRef((s) => s.rssBytes))} MB; all samples ${MB(Math.min(...samples.map((s) => s.rssBytes)))}–${MB(Math.max(...samples.map((s) => s.rssBytes)))} MB) | < 5 % | **${verdict(rssGrowth < GROWTH_TARGET)}** |`,
);
const floorGrowth = Math.min(...last.map((s) => s.rssBytes)) / Math.min(...ref.map((s) => s.rssBytes)) - 1;
console.log(
  `| RSS floor (lowest sample) of the end vs the reference, context: RSS saws with GC from sample to sample | ${pctText(floorGrowth)} (${MB(Math.min(...last.map((s) => s.rssBytes)))} vs ${MB(Math.min(...ref.map((s) => s.rssBytes)))} MB) | – | – |`,
);
console.log(
  `| open fds growth, same windows | **${pctText(fdGrowth)}** (${mLast((s) => s.fds)} vs ${mRef((s) => s.fds)}; all samples ${Math.min(...samples.map((s) => s.fds))}–${Math.max(...samples.map((s) => s.fds))}) | < 5 % | **${verdict(fdGrowth < GROWTH_TARGET)}** |`,
);
console.log(
  `| failed scrapes | **${load.failed}** of ${completed} (${load.sent} sent, ${load.skipped} slots skipped by this process) | 0 | **${verdict(load.failed === 0)}** |`,
);
console.log(
  `| achieved scrape rate | ${fixed(completed / loadSeconds, 2)} /s (target ${RATE}); send delay p99 ${f1(pct(load.sendDelays, 0.99))} ms, max ${f1(Math.max(...load.sendDelays))} ms | – | – |`,
);
console.log(
  `| scrape latency, whole run | p50 ${f1(pct(load.latencies, 0.5))} ms, p99 ${f1(pct(load.latencies, 0.99))} ms, max ${f1(Math.max(...load.latencies))} ms; ${fixed(load.bytes / Math.max(1, load.ok) / 1e3, 1)} kB gzip per scrape${load.notGzip ? `, ${load.notGzip} answers not gzip` : ""} | – | – |`,
);
console.log(
  `| exporter event-loop lag (50 ms probe, ${allLag.length} ticks) | p99 ${f1(pct(allLag, 0.99))} ms, max ${f1(Math.max(...allLag))} ms | – | – |`,
);
console.log(
  `| CLS calls | ${samples.reduce((a, s) => a + s.clsCalls, 0)} in all, ${fixed(clsPerMin, 0)} per minute; ${samples.reduce((a, s) => a + s.refreshes, 0)} refreshes; ${simFinal.inFlight} calls still open at the end | – | – |`,
);
console.log(
  `| OTLP | ${samples.reduce((a, s) => a + s.otlpPushes, 0)} pushes counted by the exporter, ${samples.reduce((a, s) => a + s.otlpFailures, 0)} failed; the collector received ${collector.received} over ${collector.starts} start${collector.starts === 1 ? "" : "s"} | – | – |`,
);
console.log(
  `| history database at the end | ${MB(dbBytes)} MB (${dbFiles.join(", ")}); write errors ${samples.at(-1)!.historyWriteErrors} | – | – |`,
);
console.log(
  `| SIGTERM at the end (fault "${finalFault}", collector ${finalCollector}) | ${exitCode === null ? "**still running after 20 s** (killed)" : `exit code ${exitCode} after ${fixed(exitMs / 1000, 2)} s`} | – | – |`,
);
console.log();
if (load.failures.length) {
  console.log("First failed scrapes:\n");
  for (const f of load.failures) console.log(`- ${mmss(f.t)} (fault ${f.fault}): ${f.error}`);
  console.log();
}
console.log("Warnings and errors the exporter logged (count × level, message, endpoint, reason):\n");
if (exporter.log.counts.size === 0) console.log("- none");
for (const [k, n] of [...exporter.log.counts].sort((a, b) => b[1] - a[1])) console.log(`- ${n} × \`${k}\``);
if (exporter.log.errors.length) console.log(`\nFirst error lines:\n\n${exporter.log.errors.map((l) => `    ${l}`).join("\n")}`);
console.log();

if (values.out) {
  const options = {
    minutes: MINUTES,
    rate: RATE,
    faultEvery: FAULT_EVERY_S,
    sampleEvery: SAMPLE_EVERY_S,
    collectorUp: COLLECTOR_UP_S,
    collectorDown: COLLECTOR_DOWN_S,
  };
  const summary = {
    rssGrowth,
    rssFloorGrowth: floorGrowth,
    fdGrowth,
    sent: load.sent,
    completed,
    ok: load.ok,
    failed: load.failed,
    skipped: load.skipped,
    achievedRate: completed / loadSeconds,
    lagP99Ms: pct(allLag, 0.99),
    lagMaxMs: Math.max(...allLag),
    clsCallsPerMinute: clsPerMin,
    collectorReceived: collector.received,
    collectorStarts: collector.starts,
    dbBytes,
    exitCode,
    exitMs,
  };
  writeFileSync(
    values.out,
    `${JSON.stringify({ command: `bun run bench/soak.ts ${Bun.argv.slice(2).join(" ")}`, machine: machineNotes(), commit, org: LARGE_ORG_CLI, exporterEnv: EXPORTER_ENV, options, summary, faults: faultTimeline, collector: collectorTimeline, failures: load.failures, log: Object.fromEntries(exporter.log.counts), samples }, null, 2)}\n`,
  );
  progress(`samples written to ${values.out}`);
}

rmSync(tmp, { recursive: true, force: true });
process.exit(0);
