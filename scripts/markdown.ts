/**
 * Generated Markdown, formatted as the committed files are (Biome formats Markdown too: it aligns
 * table columns and writes emphasis as `_x_`). Generators pass their text through it, so a file
 * written with --write passes `biome ci` and the tests that compare it with the generator agree.
 */
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..");

/** `path` (relative to the repository root) picks Biome's settings for the file; nothing is written. */
export function formatMarkdown(text: string, path: string): string {
  const biome = join(ROOT, "node_modules", ".bin", "biome");
  const out = Bun.spawnSync([biome, "format", `--stdin-file-path=${path}`], { cwd: ROOT, stdin: new TextEncoder().encode(text) });
  if (out.exitCode !== 0) throw new Error(`biome could not format ${path}: ${out.stderr.toString().trim()}`);
  return out.stdout.toString();
}
