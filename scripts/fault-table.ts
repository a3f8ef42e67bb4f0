/**
 * Writes docs/faults.md from the fault matrix rows (test/integration/fault-rows.ts). Without
 * --write it prints the table; test/integration/faults.test.ts fails when the file differs.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderFaultTable } from "../test/integration/fault-rows.ts";

const text = renderFaultTable();
if (process.argv.includes("--write")) writeFileSync(join(import.meta.dir, "..", "docs", "faults.md"), text);
else process.stdout.write(text);
