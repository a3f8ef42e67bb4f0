/**
 * Private mount namespaces for the disk-fault tests. The exporter runs under `unshare -m`, so a
 * read-only bind mount or a small tmpfs exists for it (and for commands entered into its namespace
 * with nsenter) only. The namespace, and every mount in it, disappears with its last process: the
 * harness stopping those processes is the whole cleanup, and a failed test leaves no mount behind.
 */
import { type Harness, requireBinary } from "./harness.ts";

const UTIL_LINUX = "The disk-fault tests need util-linux (Debian: apt-get install util-linux mount).";

/** `sh -c SETUP sh DIR CMD…`: SETUP mounts over $D, then the shell execs CMD, keeping the pid. */
function inPrivateNamespace(setup: string, dir: string): string[] {
  return ["unshare", "--mount", "--propagation", "private", "sh", "-c", `D=$1; shift; ${setup} && exec "$@"`, "sh", dir];
}

/** Prefix for Harness.startExporter: `dir` is read-only for the exporter (a read-only bind mount of itself). */
export function readOnlyPrefix(dir: string): string[] {
  return inPrivateNamespace('mount --bind "$D" "$D" && mount -o remount,bind,ro "$D"', dir);
}

/** Prefix for Harness.startExporter: `dir` is a fresh tmpfs of `size` (e.g. "8m") for the exporter. */
export function tmpfsPrefix(dir: string, size: string): string[] {
  return inPrivateNamespace(`mount -t tmpfs -o size=${size},mode=0700 tmpfs "$D"`, dir);
}

/** A command run inside the mount namespace of process `pid` (sees the same mounts). */
export function inNamespaceOf(pid: number, cmd: readonly string[]): string[] {
  return ["nsenter", `--target=${pid}`, "--mount", ...cmd];
}

/**
 * Fails (never skips) with what is missing when this machine cannot create mount namespaces or
 * mount in them, e.g. an unprivileged user or a container without CAP_SYS_ADMIN.
 */
export function requireMountNamespaces(probeDir: string): void {
  for (const bin of ["unshare", "nsenter", "mount"]) requireBinary(bin, UTIL_LINUX);
  const probe = inPrivateNamespace('mount -t tmpfs -o size=1m tmpfs "$D" && mount -o remount,ro "$D"', probeDir);
  const r = Bun.spawnSync([...probe, "true"], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) {
    throw new Error(
      "the disk-fault tests must create a private mount namespace (unshare --mount) and mount tmpfs and read-only bind mounts in it, " +
        "which needs CAP_SYS_ADMIN: run them as root, or in a container started with --cap-add SYS_ADMIN (or --privileged). " +
        `unshare/mount said: ${r.stderr.toString().trim() || `exit ${r.exitCode}`}`,
    );
  }
}

/** Runs a command to its end through the harness (so cleanup kills it if a test gives up); its exit code and output. */
export async function runToEnd(h: Harness, name: string, cmd: readonly string[]): Promise<{ code: number | null; output: string }> {
  const p = h.spawn(name, [...cmd]);
  await p.proc.exited;
  await p.stop(); // already exited: only waits for its output to be drained
  return { code: p.proc.exitCode, output: p.output() };
}
