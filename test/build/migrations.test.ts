import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { embedMigrations, PG_MIGRATIONS, SQLITE_MIGRATIONS } from "../../src/store/migrations.ts";

/** The migrations the program carries (and so a compiled binary) are exactly the files drizzle-kit wrote. */
const folder = (sub: string) => fileURLToPath(new URL(`../../migrations/${sub}`, import.meta.url));

describe.each([
  ["SQLite", folder(""), SQLITE_MIGRATIONS],
  ["PostgreSQL", folder("postgres"), PG_MIGRATIONS],
])("%s", (_engine, dir, embedded) => {
  test("the embedded migrations equal what drizzle reads from the folder: same SQL, order, times and hashes", () => {
    expect(embedded.length).toBeGreaterThan(0);
    expect([...embedded]).toEqual(readMigrationFiles({ migrationsFolder: dir }));
  });

  test("every .sql file in the folder is embedded (none written but left out of the journal)", () => {
    const files = readdirSync(dir).filter((f) => f.endsWith(".sql"));
    expect(files.length).toBe(embedded.length);
  });
});

test("a journal naming a migration that is not embedded is refused, never applied without it", () => {
  const journal = {
    entries: [
      { tag: "0000_a", when: 1, breakpoints: true },
      { tag: "0001_b", when: 2, breakpoints: true },
    ],
  };
  expect(() => embedMigrations(journal, { "0000_a": "SELECT 1;" })).toThrow("migration 0001_b is in the journal but not embedded");
  const [one] = embedMigrations(journal, { "0000_a": "SELECT 1;\n--> statement-breakpoint\nSELECT 2;", "0001_b": "" });
  expect(one?.sql).toEqual(["SELECT 1;\n", "\nSELECT 2;"]);
});
