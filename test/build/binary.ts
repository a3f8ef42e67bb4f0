/**
 * The compiled exporter for the binary tests: built once per test file by `bun run scripts/build.ts`
 * into a temporary folder, and run as a real process from another temporary folder — no source
 * tree, no node_modules and no migrations folder in reach — listening on 127.0.0.1 only.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Proc, waitFor } from "../integration/harness.ts";

const ROOT = join(import.meta.dir, "..", "..");

export interface Binary {
  path: string;
  /** The revision given to the build (GIT_REVISION). */
  revision: string;
  /** The folder the binary runs in (its working directory), for its database too. */
  workDir: string;
}

export interface Running {
  proc: Proc;
  url: string;
}

/** Builds, runs and stops binaries; cleanup() stops every process and removes the folders. */
export class BinaryHarness {
  private readonly procs: Proc[] = [];
  private readonly dirs: string[] = [];

  private dir(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }

  /** `npm run build` with an outfile of its own; how long it took is printed, never asserted. */
  build(): Binary {
    const revision = `test-${crypto.randomUUID().slice(0, 8)}`;
    const path = join(this.dir("cls-bin-"), "nvidia-license-server-exporter");
    const started = performance.now();
    const r = Bun.spawnSync([process.execPath, "run", "scripts/build.ts", `--outfile=${path}`], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? tmpdir(), GIT_REVISION: revision },
      stdout: "pipe",
      stderr: "pipe",
    });
    if (r.exitCode !== 0) throw new Error(`build failed (exit ${r.exitCode}):\n${r.stdout.toString()}${r.stderr.toString()}`);
    console.log(`binary built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return { path, revision, workDir: this.dir("cls-bin-run-") };
  }

  /** The binary with `args`, only PATH and HOME from the test runner in its environment plus `env`. */
  spawn(bin: Binary, env: Record<string, string>, args: string[] = []): Proc {
    const base = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? tmpdir() };
    const proc = new Proc(
      "binary",
      Bun.spawn([bin.path, ...args], { cwd: bin.workDir, env: { ...base, ...env }, stdin: "ignore", stdout: "pipe", stderr: "pipe" }),
    );
    this.procs.push(proc);
    return proc;
  }

  /** Starts the exporter on 127.0.0.1:0 and waits for /healthz (and, with waitUp, the first successful refresh). */
  async start(bin: Binary, env: Record<string, string>, waitUp: boolean): Promise<Running> {
    const proc = this.spawn(bin, { LISTEN_ADDRESS: "127.0.0.1:0", LOG_LEVEL: "debug", ...env });
    const url = (await proc.waitForLine(/msg=listening url=(http:\/\/\S+)/))[1]!;
    await waitFor(`binary ${url}/healthz`, async () => {
      proc.assertAlive();
      const res = await fetch(`${url}/healthz`);
      const body = (await res.json()) as { cls_up?: boolean };
      return res.ok && (!waitUp || body.cls_up === true) ? true : undefined;
    });
    return { proc, url };
  }

  async cleanup(): Promise<void> {
    await Promise.allSettled(this.procs.map((p) => p.stop()));
    for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true });
  }
}
