/**
 * Runs deploy/docker/entrypoint.sh the way the image does, without Docker: as root (or as the image's
 * user), against folders made here, with a stub in place of the exporter that reports who it ran as.
 */
import { expect } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("../../", import.meta.url).pathname;
export const ENTRYPOINT = join(root, "deploy/docker/entrypoint.sh");
export const DOCKERFILE = join(root, "Dockerfile");

/** The ids the image runs the exporter as, read from the Dockerfile's ENV line. */
export async function imageUser(): Promise<{ uid: number; gid: number }> {
  const text = await Bun.file(DOCKERFILE).text();
  const m = /^ENV EXPORTER_UID=(\d+) EXPORTER_GID=(\d+)$/m.exec(text);
  if (!m) throw new Error("Dockerfile: no `ENV EXPORTER_UID=<uid> EXPORTER_GID=<gid>` line");
  return { uid: Number(m[1]), gid: Number(m[2]) };
}

/** The entrypoint must start as root to show it drops to the image's user; there is no other way to test that. */
export function expectRoot(): void {
  const hint = "test/deploy/entrypoint.test.ts runs the entrypoint as root (CI containers run as root); run `bun test` as root";
  expect(process.getuid?.(), hint).toBe(0);
}

/**
 * The exporter's stand-in: prints its pid, ids, HOME, PROBE and arguments, then exits 0, exits 7
 * (STUB_MODE=exit) or waits for SIGTERM and exits 42 when it arrives (STUB_MODE=wait).
 */
const STUB = `#!/bin/sh
echo "pid=$$"; echo "uid=$(id -u)"; echo "gid=$(id -g)"; echo "groups=$(id -G)"; echo "home=$HOME"
echo "probe=\${PROBE-unset}"
for a in "$@"; do echo "arg=$a"; done
case "\${STUB_MODE:-}" in
  exit) exit 7 ;;
  wait) trap 'echo "got=TERM"; exit 42' TERM; echo ready; while :; do sleep 0.05; done ;;
esac
`;

/** The folders `scratch` made, removed by `removeScratch` after the file's tests. */
const made: string[] = [];

export function removeScratch(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A fresh folder others may enter (the image's user runs the stub from it), with the stub in it. */
export function scratch(): { dir: string; stub: string } {
  const dir = mkdtempSync(join(tmpdir(), "entrypoint-"));
  made.push(dir);
  chmodSync(dir, 0o755);
  const stub = join(dir, "stub.sh");
  writeFileSync(stub, STUB, { mode: 0o755 });
  return { dir, stub };
}

export interface Report {
  pid: number;
  uid: number;
  gid: number;
  groups: string;
  home: string;
  probe: string;
  args: string[];
}

/** The stub's report, read from its output. */
export function parseReport(stdout: string): Report {
  const lines = stdout.split("\n");
  const value = (key: string) => lines.find((l) => l.startsWith(`${key}=`))?.slice(key.length + 1) ?? "";
  return {
    pid: Number(value("pid")),
    uid: Number(value("uid")),
    gid: Number(value("gid")),
    groups: value("groups"),
    home: value("home"),
    probe: value("probe"),
    args: lines.filter((l) => l.startsWith("arg=")).map((l) => l.slice(4)),
  };
}

export interface RunOptions {
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** Start the entrypoint as this user instead of root (as `docker run --user` does). */
  as?: { uid: number; gid: number };
}

/** Starts the entrypoint with only the environment given (and PATH), as the image's ENTRYPOINT does. */
export function start(o: RunOptions) {
  const drop = o.as ? ["setpriv", `--reuid=${o.as.uid}`, `--regid=${o.as.gid}`, "--clear-groups", "--"] : [];
  return Bun.spawn([...drop, ENTRYPOINT, ...o.args], {
    cwd: o.cwd,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...o.env },
    stdout: "pipe",
    stderr: "pipe",
  });
}

/** Runs the entrypoint to its end. */
export async function run(o: RunOptions): Promise<{ code: number; report: Report; stdout: string; stderr: string }> {
  const proc = start(o);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, report: parseReport(stdout), stdout, stderr };
}

/** HOME as the entrypoint sets it for `uid`: its passwd entry's home, else the one it was given. */
export async function homeOf(uid: number, given: string): Promise<string> {
  const proc = Bun.spawn(["getent", "passwd", String(uid)], { stdout: "pipe" });
  const entry = (await new Response(proc.stdout).text()).trim();
  await proc.exited;
  return entry.split(":")[5] || given;
}
