import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { StoreError } from "../../src/errors.ts";
import { APPLICATION_ID, openDatabase } from "../../src/store/db.ts";
import { tempDir } from "./helpers.ts";

const tmp = tempDir();
afterAll(tmp.cleanup);
const path = (name: string) => join(tmp.dir, name);

function refused(file: string): StoreError {
  try {
    openDatabase(file).sqlite.close();
  } catch (err) {
    return err as StoreError;
  }
  throw new Error("opened");
}

describe("openDatabase", () => {
  test("creates the folder and a WAL database marked as ours, with the committed migrations applied", () => {
    const file = path("a/b/new.db");
    const { sqlite } = openDatabase(file);
    expect(sqlite.query("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    expect(sqlite.query("PRAGMA application_id").get()).toEqual({ application_id: APPLICATION_ID });
    const tables = sqlite.query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all();
    expect(tables.map((t) => (t as { name: string }).name)).toEqual([
      "__drizzle_migrations",
      "samples",
      "series",
      "snapshots",
      "store_state",
    ]);
    sqlite.close();
  });

  test("opening again is idempotent", () => {
    const file = path("again.db");
    openDatabase(file).sqlite.close();
    const { sqlite } = openDatabase(file);
    // Each migration applied once, however often the file is opened.
    const migrations = readdirSync("migrations").filter((f) => f.endsWith(".sql")).length;
    expect(migrations).toBeGreaterThan(1);
    expect(sqlite.query("SELECT count(*) AS c FROM __drizzle_migrations").get()).toEqual({ c: migrations });
    sqlite.close();
  });

  test("a file that is not SQLite is refused as corrupt and left as it was", () => {
    const file = path("text.db");
    writeFileSync(file, "this is a configuration file, not a database\n".repeat(200));
    const before = readFileSync(file);
    const err = refused(file);
    expect(err.reason).toBe("corrupt");
    expect(err.permanent).toBe(true);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  test("another application's database is refused and left as it was", () => {
    const file = path("foreign.db");
    const other = new Database(file);
    other.run("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)");
    other.close();
    const before = readFileSync(file);
    const err = refused(file);
    expect(err.reason).toBe("foreign");
    expect(err.message).toContain("invoices");
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  test("a database written by a newer version is refused and left as it was", () => {
    const file = path("newer.db");
    openDatabase(file).sqlite.close();
    const db = new Database(file);
    db.run("INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('f00d', 99999999999999)");
    db.run("PRAGMA wal_checkpoint(TRUNCATE)");
    db.close();
    const before = readFileSync(file);
    const err = refused(file);
    expect(err.reason).toBe("newer_schema");
    expect(err.message).toMatch(/newer version/);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  test("a path whose folder cannot be created says so", () => {
    writeFileSync(path("plain-file"), "x");
    const err = refused(path("plain-file/sub/h.db"));
    expect(err.reason).toBe("cannot_open");
    expect(err.message).toContain("cannot create the folder");
  });

  test(":memory: works (history for the life of the process)", () => {
    const { sqlite } = openDatabase(":memory:");
    expect(sqlite.query("SELECT count(*) AS c FROM samples").get()).toEqual({ c: 0 });
    sqlite.close();
  });
});
