/**
 * The write phase runs the code loaded at start, the exporter processes what is on disk later: a
 * hash of src/ and migrations/ taken at the start tells whether the two still match.
 */

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../lib/processes.ts";
import { progressOf } from "../lib/report.ts";

const progress = progressOf("history");

function sourceHash(): string {
  let h = 0n;
  for (const dir of ["src", "migrations"]) {
    for (const f of (readdirSync(join(ROOT, dir), { recursive: true }) as string[]).sort()) {
      const path = join(ROOT, dir, f);
      if (statSync(path).isFile()) h = Bun.hash(readFileSync(path), h) as bigint;
      h = Bun.hash(f, h) as bigint;
    }
  }
  return h.toString(16);
}

export class SourceGuard {
  private readonly atStart = sourceHash();

  /** Warns (on stderr and in the report) when src/ or migrations/ changed since the start. */
  check(where: string): void {
    if (sourceHash() === this.atStart) return;
    progress(`WARNING: src/ or migrations/ changed since the benchmark started; ${where} runs other code than the write phase did`);
    console.log(`> **Warning:** src/ or migrations/ changed during this run; ${where} ran other code than the write phase. Run again.\n`);
  }
}
