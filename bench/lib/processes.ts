/**
 * Child processes of the benchmarks, with a hard deadline: every child is registered, and the
 * deadline, Ctrl-C or the end of the benchmark kill them all, so nothing is left running.
 * Ports and traffic stay on 127.0.0.1.
 */

import { fileURLToPath } from "node:url";
import type { Subprocess } from "bun";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The one registry of this process's children: the deadline and the exit hook must see all of them. */
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
  process.once("SIGINT", () => {
    killChildren();
    process.exit(130);
  });
}

export function killChildren(): void {
  for (const c of children) c.kill();
  children.clear();
}

/** Runs `cmd` in the repository root with the benchmark's env plus `env`; stdout and stderr are pipes the caller must read. */
export function spawnChild(cmd: string[], env: Record<string, string> = {}): Subprocess<"ignore", "pipe", "pipe"> {
  const child = Bun.spawn(cmd, { cwd: ROOT, env: { ...process.env, ...env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  children.add(child);
  void child.exited.then(() => children.delete(child));
  return child;
}

/** A port that was free a moment ago on 127.0.0.1 (for a child that needs it on its command line, or a closed one). */
export function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

/** Calls `onLine` for every line of a child's stream until it ends; reading it also keeps the child's pipe from filling. */
export async function eachLine(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
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

/** Keeps draining a stream so a chatty child never blocks on a full pipe. */
export function drain(stream: ReadableStream<Uint8Array>): void {
  void stream.pipeTo(new WritableStream()).catch(() => {});
}

/**
 * Resolves with the first value `match` returns for a line of a child's stream; rejects when `match`
 * throws, the stream ends first or `timeoutMs` passes. The stream is read to its end either way (so
 * the child never blocks on a full pipe), every line passing through `onLine` first.
 */
export function firstLine<T>(
  stream: ReadableStream<Uint8Array>,
  match: (line: string) => T | undefined,
  options: { timeoutMs?: number; onLine?: (line: string) => void } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const { promise, resolve, reject } = Promise.withResolvers<T>();
  const tail: string[] = [];
  const lastLines = () => tail.join(" | ").slice(-400);
  const timer = setTimeout(() => reject(new Error(`no expected line within ${timeoutMs / 1000} s; last lines: ${lastLines()}`)), timeoutMs);
  void eachLine(stream, (line) => {
    options.onLine?.(line);
    tail.push(line);
    if (tail.length > 5) tail.shift();
    try {
      const hit = match(line);
      if (hit !== undefined) resolve(hit);
    } catch (e) {
      reject(e as Error);
    }
  }).then(() => reject(new Error(`the stream ended before the expected line; last lines: ${lastLines()}`)));
  void promise.then(
    () => clearTimeout(timer),
    () => clearTimeout(timer),
  );
  return promise;
}
