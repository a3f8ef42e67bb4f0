/**
 * Shared pieces of the benchmarks: the large org, child processes with a hard deadline, the
 * exporter as its own process, RSS and medians. All traffic stays on 127.0.0.1.
 */

import { fileURLToPath } from "node:url";
import type { Subprocess } from "bun";
import { type GenerateOptions, generateOrg } from "../src/sim/index.ts";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const API_KEY = "bench-key";

/** ~4,100 `nvidia_cls_*` series: 10 groups × 10 servers × 9 features × 10 leases, 1 pool each. */
export const LARGE_ORG: GenerateOptions = {
  orgName: "bench-org",
  virtualGroups: 10,
  serversPerGroup: 10,
  featuresPerServer: 9,
  leasesPerFeature: 10,
  seed: 1,
};
export const largeOrg = () => generateOrg(LARGE_ORG);
export const LARGE_ORG_CLI = "10x10x9x10";

const children = new Set<Subprocess>();
// A benchmark that throws must not leave an exporter or server behind.
process.on("exit", () => killChildren());

/** Kills every child and exits if the benchmark overruns `ms`: nothing is left running. */
export function deadline(ms: number): void {
  setTimeout(() => {
    console.error(`bench: deadline of ${ms / 1000} s exceeded, stopping`);
    killChildren();
    process.exit(1);
  }, ms).unref();
  process.once("SIGINT", () => (killChildren(), process.exit(130)));
}

export function killChildren(): void {
  for (const c of children) c.kill();
  children.clear();
}

export function spawnChild(cmd: string[], env: Record<string, string> = {}): Subprocess<"ignore", "pipe", "pipe"> {
  const child = Bun.spawn(cmd, { cwd: ROOT, env: { ...process.env, ...env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  children.add(child);
  void child.exited.then(() => children.delete(child));
  return child;
}

/** Reads a child's stream line by line until `match` returns a value (or the stream ends). */
export async function waitForLine<T>(
  stream: ReadableStream<Uint8Array>,
  match: (line: string) => T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  const timer = setTimeout(() => reader.cancel("timeout"), timeoutMs);
  let buf = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended (or ${timeoutMs} ms passed) before the expected line; last output: ${buf.slice(-300)}`);
      buf += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const hit = match(line);
        if (hit !== undefined) return hit;
      }
    }
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
  }
}

/** Keeps draining a stream so a chatty child never blocks on a full pipe. */
export function drain(stream: ReadableStream<Uint8Array>): void {
  void stream.pipeTo(new WritableStream()).catch(() => {});
}

export interface ExporterProcess {
  url: string;
  pid: number;
  /** The `refresh succeeded` log fields of the first refresh. */
  firstRefresh: Record<string, string>;
  child: Subprocess;
}

/**
 * `bun run src/index.ts` against `clsUrl`, CACHE_TTL 1h; resolves after its first refresh succeeded.
 * BENCH_EXPORTER_DIR runs another checkout's exporter instead (to measure a change before making it).
 */
export async function startExporter(clsUrl: string, orgName: string, extraEnv: Record<string, string> = {}): Promise<ExporterProcess> {
  const env = {
    NVIDIA_API_KEY: API_KEY,
    NVIDIA_ORG_NAME: orgName,
    NVIDIA_API_BASE_URL: clsUrl,
    LISTEN_ADDRESS: "127.0.0.1:0",
    CACHE_TTL: "1h",
    ...extraEnv,
  };
  const dir = process.env.BENCH_EXPORTER_DIR || ROOT;
  const child = spawnChild([process.execPath, "run", `${dir.replace(/\/$/, "")}/src/index.ts`], env);
  drain(child.stdout);
  let url = "";
  const firstRefresh = await waitForLine(child.stderr, (line) => {
    if (line.includes("msg=listening")) url = logfmt(line).url ?? "";
    if (line.includes('msg="refresh incomplete"') || line.includes("level=error")) throw new Error(`exporter: ${line}`);
    return line.includes('msg="refresh succeeded"') ? logfmt(line) : undefined;
  });
  drain(child.stderr);
  if (!url) throw new Error("exporter did not log its URL");
  return { url, pid: child.pid, firstRefresh, child };
}

/** Enough logfmt for our own log lines (values without escaped quotes). */
export function logfmt(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of line.matchAll(/(\w+)=("([^"]*)"|\S+)/g)) out[m[1]!] = m[3] ?? m[2]!;
  return out;
}

/** VmRSS of a process in bytes, from /proc. */
export async function rssOf(pid: number): Promise<number> {
  const status = await Bun.file(`/proc/${pid}/status`).text();
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!kb) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb[1]) * 1024;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
export const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
export const fixed = (x: number, digits = 2) => x.toFixed(digits);
export const verdict = (ok: boolean) => (ok ? "PASS" : "MISS");

/** Counts `nvidia_cls_*` samples (not HELP/TYPE lines) in an exposition body. */
export function countSeries(text: string, prefix = "nvidia_cls_"): number {
  let n = 0;
  for (const line of text.split("\n")) if (line.startsWith(prefix)) n++;
  return n;
}

export function machineNotes(): string {
  return `nproc ${navigator.hardwareConcurrency}, Bun ${Bun.version}, ${new Date().toISOString()}`;
}
