/**
 * Process and port handling for integration tests: spawn the exporter (or Prometheus) as real
 * processes on 127.0.0.1, wait for them by polling (never by fixed sleeps), keep their output for
 * failure messages, and stop them all, even when a test failed half-way.
 *
 * Each test file makes one `new Harness()` and calls `harness.cleanup()` in afterAll (bun test runs
 * afterAll also after a failed or timed-out beforeAll). After cleanup the harness refuses to spawn,
 * so a beforeAll that timed out but keeps running cannot leave a process behind. (bun test fires no
 * process "exit" event, so there is no later safety net: always call cleanup.)
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

const ROOT = join(import.meta.dir, "..", "..");

/** A port that was free a moment ago (bind 127.0.0.1:0, read it, close). Callers retry on a clash. */
export function freePort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

/** Fails (never skips) when a binary the tests need is missing. */
export function requireBinary(name: string, hint: string): string {
  const path = Bun.which(name);
  if (!path) throw new Error(`\`${name}\` is not on PATH. ${hint}`);
  return path;
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/** Thrown inside a waitFor check to stop waiting at once (e.g. the process died). */
class GiveUp extends Error {}

/** Polls `check` until it returns a value other than undefined; the last error or `what` explains a timeout. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, opts: WaitOptions = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let last = "";
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      if (err instanceof GiveUp) throw err;
      last = ` (last error: ${(err as Error).message})`;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${opts.timeoutMs ?? 30_000} ms waiting for ${what}${last}`);
    await Bun.sleep(opts.intervalMs ?? 250);
  }
}

export class Proc {
  private text = "";
  private readonly done: Promise<void>;

  constructor(
    readonly name: string,
    readonly proc: Subprocess<"ignore", "pipe", "pipe">,
  ) {
    // Both pipes are drained so a chatty child never blocks on a full pipe.
    this.done = Promise.all([this.drain(proc.stdout), this.drain(proc.stderr)]).then(() => {});
  }

  private async drain(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) this.text += decoder.decode(chunk, { stream: true });
  }

  /** Everything the process wrote so far (stdout and stderr interleaved by chunk). */
  output(): string {
    return this.text;
  }

  exited(): boolean {
    return this.proc.exitCode !== null || this.proc.signalCode !== null;
  }

  /** Inside a waitFor check: stop waiting when the process has died, showing its last output. */
  assertAlive(): void {
    if (this.exited())
      throw new GiveUp(`${this.name} exited with ${this.proc.exitCode ?? this.proc.signalCode}:\n${this.text.slice(-2000)}`);
  }

  /** Waits for an output line matching `re` and returns the match; fails early when the process dies. */
  waitForLine(re: RegExp, opts: WaitOptions = {}): Promise<RegExpMatchArray> {
    return waitFor(
      `${this.name} to log ${re}`,
      () => {
        const m = this.text.match(re);
        if (m) return m;
        this.assertAlive();
        return undefined;
      },
      opts,
    );
  }

  /** SIGTERM, then SIGKILL after graceMs; resolves with the exit code (or signal name). */
  async stop(graceMs = 10_000): Promise<number | string> {
    if (!this.exited()) {
      this.proc.kill("SIGTERM");
      const timer = setTimeout(() => this.proc.kill("SIGKILL"), graceMs);
      await this.proc.exited;
      clearTimeout(timer);
    }
    // A grandchild holding a pipe open must not hang cleanup.
    await Promise.race([this.done, Bun.sleep(2_000)]);
    return this.proc.exitCode ?? this.proc.signalCode ?? "unknown";
  }
}

export class Harness {
  private readonly procs = new Set<Proc>();
  private readonly dirs = new Set<string>();
  private closed = false;

  private open(what: string): void {
    if (this.closed) throw new GiveUp(`harness already cleaned up; not starting ${what}`);
  }

  /** Only PATH and HOME leak in from the test runner: a developer's NVIDIA_* or LISTEN_ADDRESS must not. */
  spawn(name: string, cmd: string[], env: Record<string, string> = {}): Proc {
    this.open(name);
    const base = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? tmpdir() };
    const proc = new Proc(name, Bun.spawn(cmd, { cwd: ROOT, env: { ...base, ...env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" }));
    this.procs.add(proc);
    return proc;
  }

  /** A temp directory removed by cleanup(). */
  tempDir(prefix: string): string {
    this.open(prefix);
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.dirs.add(dir);
    return dir;
  }

  startExporter(env: Record<string, string>, opts: ExporterOptions = {}): Promise<Exporter> {
    return startExporter(this, env, opts);
  }

  /** Stops every process this harness started (SIGTERM, then SIGKILL) and removes its temp directories. */
  async cleanup(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.procs].map((p) => p.stop()));
    for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true });
  }
}

export interface Exporter {
  proc: Proc;
  /** e.g. http://127.0.0.1:41234 (https with TLS), read from the exporter's own `msg=listening` log line. */
  url: string;
  host: string;
}

/**
 * Spawns `bun run src/index.ts` (the same Bun binary running the tests) with `env`,
 * DB_PATH in a temp directory and LISTEN_ADDRESS=127.0.0.1:0 unless given, so the port never clashes; waits until /healthz
 * answers and, with waitUp, until the first refresh succeeded.
 */
export type ExporterOptions = {
  waitUp?: boolean;
  /**
   * A command the exporter runs under, e.g. `unshare -m … sh -c '…; exec "$@"' sh`; the exporter's
   * command line is appended. The prefix must exec it, so the spawned pid is the exporter's own.
   */
  prefix?: readonly string[];
  /** Flags after `src/index.ts`. */
  args?: readonly string[];
  /** TLS options for the readiness check of an exporter serving HTTPS (e.g. a CA, a client certificate). */
  tls?: Record<string, unknown>;
} & WaitOptions;

async function startExporter(h: Harness, env: Record<string, string>, opts: ExporterOptions): Promise<Exporter> {
  // A history database of its own unless the test names one, never one in the working tree.
  const db = env.DB_PATH ?? join(h.tempDir("cls-db-"), "history.db");
  const proc = h.spawn("exporter", [...(opts.prefix ?? []), process.execPath, "run", "src/index.ts", ...(opts.args ?? [])], {
    LISTEN_ADDRESS: "127.0.0.1:0",
    // Every refresh's outcome line: steady success is logged at debug.
    LOG_LEVEL: "debug",
    ...env,
    DB_PATH: db,
  });
  // logfmt (default) or LOG_FORMAT=json
  const m = await proc.waitForLine(/msg=listening url=(https?:\/\/\S+)|"msg":"listening","url":"(https?:\/\/[^"]+)"/, opts);
  const url = (m[1] ?? m[2])!;
  await waitFor(
    `exporter ${url}/healthz`,
    async () => {
      proc.assertAlive();
      const res = await fetch(`${url}/healthz`, opts.tls ? { tls: opts.tls } : {});
      const body = (await res.json()) as { cls_up?: boolean };
      return res.ok && (!opts.waitUp || body.cls_up === true) ? true : undefined;
    },
    opts,
  );
  return { proc, url, host: new URL(url).host };
}
