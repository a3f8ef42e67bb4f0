/**
 * Logging failures never end the process: with stderr a pipe its reader closed (EPIPE) or a file on
 * a full disk (/dev/full, ENOSPC), the exporter keeps serving and counts the lines it dropped.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { freePort, waitFor } from "../integration/harness.ts";

const MAIN = new URL("../../src/index.ts", import.meta.url).pathname;
const DATA = mkdtempSync(join(tmpdir(), "cls-log-"));
const procs: Subprocess[] = [];
afterAll(async () => {
  for (const p of procs) p.kill("SIGKILL");
  await Promise.all(procs.map((p) => p.exited));
  rmSync(DATA, { recursive: true, force: true });
});

/** An exporter whose every refresh fails fast (nothing listens on port 1), so each refresh writes log lines. */
function spawn(port: number, stderr: "pipe" | ReturnType<typeof Bun.file>) {
  const proc = Bun.spawn([process.execPath, "run", MAIN], {
    env: {
      PATH: process.env.PATH ?? "",
      NVIDIA_API_KEY: "log-test-key",
      NVIDIA_ORG_NAME: "o",
      NVIDIA_API_BASE_URL: "http://127.0.0.1:1",
      LISTEN_ADDRESS: `127.0.0.1:${port}`,
      DB_PATH: join(DATA, `${port}.db`),
      CACHE_TTL: "1s",
      LOG_LEVEL: "debug",
    },
    stdin: "ignore",
    stdout: "ignore",
    stderr,
  });
  procs.push(proc);
  return proc;
}

/** The dropped-lines counter once it has counted `atLeast`, read over several scrapes (each may start a refresh). */
async function droppedAfterScrapes(proc: Subprocess, port: number, atLeast: number): Promise<number> {
  return waitFor(`nvidia_cls_log_lines_dropped_total >= ${atLeast}`, async () => {
    if (proc.exitCode !== null) throw new Error(`the exporter exited with ${proc.exitCode}`);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => undefined);
    if (res?.status !== 200) return undefined;
    const m = /^nvidia_cls_log_lines_dropped_total(?:\{[^}]*\})? (\d+)$/m.exec(await res.text());
    return m && Number(m[1]) >= atLeast ? Number(m[1]) : undefined;
  });
}

describe("a log that cannot be written", () => {
  test("stderr on a full disk (/dev/full): lines dropped and counted, /metrics and /healthz keep answering", async () => {
    const port = freePort();
    const proc = spawn(port, Bun.file("/dev/full"));
    const before = await droppedAfterScrapes(proc, port, 1);
    expect(await droppedAfterScrapes(proc, port, before + 1)).toBeGreaterThan(before);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect(proc.exitCode).toBeNull();
  }, 30_000);

  test("stderr a pipe whose reader closed it (EPIPE): lines dropped and counted, the process keeps serving", async () => {
    const port = freePort();
    const proc = spawn(port, "pipe");
    const reader = (proc.stderr as ReadableStream<Uint8Array>).getReader();
    let text = "";
    while (!text.includes("msg=listening")) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    const before = await droppedAfterScrapes(proc, port, 1);
    expect(await droppedAfterScrapes(proc, port, before + 1)).toBeGreaterThan(before);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect(proc.exitCode).toBeNull();
  }, 30_000);
});
