import { expect, test } from "bun:test";
import { cpSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { tempDir } from "./helpers.ts";

const ROOT = join(import.meta.dir, "..", "..");

test("migrations/ matches src/store/schema.ts (drizzle-kit finds nothing to generate)", () => {
  const tmp = tempDir("cls-migrations-");
  try {
    const out = join(tmp.dir, "migrations");
    cpSync(join(ROOT, "migrations"), out, { recursive: true });
    // drizzle-kit prefixes "./" to the output folder, so it must be given relative to the working directory.
    const r = Bun.spawnSync(
      [
        process.execPath,
        "x",
        "--bun",
        "drizzle-kit",
        "generate",
        "--dialect",
        "sqlite",
        "--schema",
        "./src/store/schema.ts",
        "--out",
        relative(ROOT, out),
      ],
      { cwd: ROOT, stdout: "pipe", stderr: "pipe" },
    );
    const text = `${r.stdout.toString()}${r.stderr.toString()}`;
    expect(text).toContain("No schema changes");
    expect(readdirSync(out).sort()).toEqual(readdirSync(join(ROOT, "migrations")).sort());
  } finally {
    tmp.cleanup();
  }
});

test("the samples table keeps the hand-added WITHOUT ROWID", () => {
  const first = readdirSync(join(ROOT, "migrations"))
    .filter((f) => f.endsWith(".sql"))
    .sort()[0]!;
  expect(readFileSync(join(ROOT, "migrations", first), "utf8")).toMatch(/CREATE TABLE `samples`[^;]*\) WITHOUT ROWID;/);
});
