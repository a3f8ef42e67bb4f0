/** What every benchmark report states about where and on what code it ran, and its progress lines. */

import { ROOT } from "./processes.ts";

export function machineNotes(): string {
  return `nproc ${navigator.hardwareConcurrency}, Bun ${Bun.version}, ${new Date().toISOString()}`;
}

/**
 * The commit of the checkout at `dir`, marked when `paths` hold uncommitted changes. Taken at the
 * start of a run: the code measured is the code at the start.
 */
export function revision(dir = ROOT, paths: readonly string[] = ["src"]): string {
  try {
    const rev = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], { cwd: dir }).stdout.toString().trim();
    const dirty = Bun.spawnSync(["git", "status", "--porcelain", "--", ...paths], { cwd: dir })
      .stdout.toString()
      .trim();
    return `${rev || "unknown"}${dirty ? " + uncommitted changes in src/" : ""}`;
  } catch {
    return "unknown";
  }
}

/** Progress goes to stderr, prefixed with the benchmark's name, so stdout stays the Markdown report. */
export const progressOf =
  (name: string) =>
  (msg: string): void =>
    void process.stderr.write(`${name}: ${msg}\n`);
