import { expect, test } from "bun:test";
import { cpSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { tempDir } from "../store/helpers.ts";

const ROOT = join(import.meta.dir, "..", "..");

test("migrations/postgres/ matches src/store/pg/schema.ts (drizzle-kit finds nothing to generate)", () => {
  const tmp = tempDir("cls-pg-migrations-");
  try {
    const out = join(tmp.dir, "postgres");
    cpSync(join(ROOT, "migrations", "postgres"), out, { recursive: true });
    // drizzle-kit prefixes "./" to the output folder, so it must be given relative to the working directory.
    const r = Bun.spawnSync(
      [
        process.execPath,
        "x",
        "--bun",
        "drizzle-kit",
        "generate",
        "--dialect",
        "postgresql",
        "--schema",
        "./src/store/pg/schema.ts",
        "--out",
        relative(ROOT, out),
      ],
      { cwd: ROOT, stdout: "pipe", stderr: "pipe" },
    );
    const text = `${r.stdout.toString()}${r.stderr.toString()}`;
    expect(text).toContain("No schema changes");
    expect(readdirSync(out).sort()).toEqual(readdirSync(join(ROOT, "migrations", "postgres")).sort());
  } finally {
    tmp.cleanup();
  }
});
