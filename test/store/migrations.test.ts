import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { generateOver } from "./helpers.ts";

const ROOT = join(import.meta.dir, "..", "..");

test("migrations/ matches src/store/schema.ts (drizzle-kit finds nothing to generate)", () => {
  const { text, sameFiles } = generateOver("sqlite", "./src/store/schema.ts", "migrations");
  expect(text).toContain("No schema changes");
  expect(sameFiles).toBe(true);
});

test("the samples table keeps the hand-added WITHOUT ROWID", () => {
  const first = readdirSync(join(ROOT, "migrations"))
    .filter((f) => f.endsWith(".sql"))
    .sort()[0]!;
  expect(readFileSync(join(ROOT, "migrations", first), "utf8")).toMatch(/CREATE TABLE `samples`[^;]*\) WITHOUT ROWID;/);
});
