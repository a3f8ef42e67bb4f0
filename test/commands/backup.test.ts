/**
 * `bun run src/index.ts --backup-history FILE` as a user runs it: a real process with only DB_PATH
 * set (no API key, no org), against a history that an open store (or another process) is writing.
 */
import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadDbPath, usage } from "../../src/config/index.ts";
import { createLogger } from "../../src/log.ts";
import { APPLICATION_ID } from "../../src/store/db.ts";
import { HistoryStore } from "../../src/store/index.ts";
import { Harness } from "../integration/harness.ts";
import { BACKUP_T0, busyRefresh } from "./backup-fixture.ts";

const TIMEOUT = 60_000;
const harness = new Harness();
const dir = harness.tempDir("cls-backup-");
afterAll(() => harness.cleanup());
let n = 0;
const fresh = (name: string) => join(dir, `${++n}-${name}`);

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** Only PATH and what is given: no NVIDIA_API_KEY, no NVIDIA_ORG_NAME. */
async function cli(args: string[], vars: Record<string, string> = {}, wrap: string[] = []): Promise<Run> {
  const p = Bun.spawn([...wrap, process.execPath, "run", "src/index.ts", ...args], {
    env: { PATH: process.env.PATH ?? "", ...vars },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, out, err] = await Promise.all([p.exited, new Response(p.stdout).text(), new Response(p.stderr).text()]);
  return { code, out, err };
}

const backup = (file: string, dbPath: string, extra: string[] = []) => cli(["--backup-history", file, ...extra], { DB_PATH: dbPath });

function storeAt(path: string, orgName = "org-a"): HistoryStore {
  return new HistoryStore({
    path,
    orgName,
    maxGapS: 130,
    rawRetentionS: 8 * 86_400,
    retentionS: 400 * 86_400,
    now: () => (BACKUP_T0 + 86_400) * 1000,
    log: createLogger({ write: () => {} }),
  });
}

/** A history of `refreshes` refreshes, left open (its last commits still in the -wal file) unless closed by the caller. */
function history(refreshes: number, orgName = "org-a"): { path: string; store: HistoryStore } {
  const path = fresh("history.db");
  const store = storeAt(path, orgName);
  for (let i = 0; i < refreshes; i++) store.record(busyRefresh(BACKUP_T0 + 60 * i, i));
  return { path, store };
}

const query = { kind: "active_leases" as const, filter: {}, from: BACKUP_T0 - 60, to: BACKUP_T0 + 3_600, step: 60 };

describe("--backup-history", () => {
  test(
    "copies an open history without NVIDIA_API_KEY or NVIDIA_ORG_NAME: one line, mode 0600, the same answers from the copy",
    async () => {
      const { path, store } = history(30);
      const other = storeAt(path, "org-b");
      other.record(busyRefresh(BACKUP_T0, 0));
      other.close();
      const file = fresh("backup.db");
      const run = await backup(file, path);
      expect(run.err).toBe("");
      expect(run.code).toBe(0);
      const lines = run.out.trimEnd().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`history backed up to ${file}: `);
      const counted = count(path, "SELECT (SELECT count(*) FROM series) AS s, (SELECT count(*) FROM samples) AS r");
      expect(counted.s).toBeGreaterThan(80);
      expect(lines[0]).toContain(`(${statSync(file).size} bytes), 2 orgs, ${counted.s} series, ${counted.r} rows, last snapshot `);
      expect(lines[0]).toEndWith(`last snapshot ${new Date((BACKUP_T0 + 29 * 60) * 1000).toISOString()}`);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const copy = storeAt(file);
      const copyB = storeAt(file, "org-b");
      expect(copy.restore()).toEqual(store.restore());
      expect(await copy.query(query)).toEqual(await store.query(query));
      expect((await copy.query(query)).series).toHaveLength(40);
      expect(copyB.restore()).toEqual(busyRefresh(BACKUP_T0, 0));
      for (const s of [store, copy, copyB]) s.close();
    },
    TIMEOUT,
  );

  test(
    "a request that cannot be carried out exits 2 and writes nothing",
    async () => {
      const { path, store } = history(2);
      store.close();
      const taken = fresh("taken.db");
      writeFileSync(taken, "mine");
      const empty = fresh("empty.db");
      writeFileSync(empty, "");
      const missing = fresh("missing.db");
      const cases: [string, Promise<Run>, RegExp][] = [
        ["FILE exists", backup(taken, path), /taken\.db exists; a backup never overwrites/],
        ["FILE's folder is missing", backup(join(dir, "no-such-folder", "b.db"), path), /the folder of .* does not exist/],
        ["DB_PATH=:memory:", backup(fresh("m.db"), ":memory:"), /:memory:.*nothing to back up/],
        ["no database at DB_PATH", backup(fresh("n.db"), missing), /no history database at DB_PATH/],
        ["an empty file at DB_PATH", backup(fresh("e.db"), empty), /empty file: no history to back up/],
        ["FILE missing", cli(["--backup-history"], { DB_PATH: path }), /--backup-history: needs a value/],
        ["FILE empty", cli(["--backup-history="], { DB_PATH: path }), /--backup-history: needs a value/],
        ["with --check", backup(fresh("c.db"), path, ["--check"]), /not with --check or --capture/],
        ["with --capture", backup(fresh("c.db"), path, ["--capture", fresh("cap")]), /not with --check or --capture/],
        ["an unknown flag", backup(fresh("u.db"), path, ["-no-such-flag"]), /unknown flag -no-such-flag/],
      ];
      for (const [what, running, said] of cases) {
        const run = await running;
        expect([what, run.code, run.out]).toEqual([what, 2, ""]);
        expect(run.err).toMatch(said);
      }
      expect(readFileSync(taken, "utf8")).toBe("mine");
      expect(existsSync(missing)).toBe(false);
      const written = Array.from(new Bun.Glob("*").scanSync(dir)).filter((f) => /-(m|n|e|c|u)\.db$/.test(f));
      expect(written).toEqual([]);
    },
    TIMEOUT,
  );

  test(
    "a database that is not ours, is damaged or is newer exits 1 and leaves no FILE",
    async () => {
      const foreign = fresh("foreign.db");
      new Database(foreign).run("CREATE TABLE invoices (id INTEGER)");
      const damaged = fresh("damaged.db");
      writeFileSync(damaged, Buffer.alloc(8192, 0x5a));
      const { path: newer, store } = history(2);
      store.close();
      const db = new Database(newer);
      db.run("INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('from-a-newer-version', 0)");
      db.close();
      for (const [source, said] of [
        [foreign, /belongs to another application.*\(foreign\)/],
        [damaged, /not a database.*\(corrupt\)/],
        [newer, /newer version of the exporter.*\(newer_schema\)/],
      ] as const) {
        const file = fresh("refused.db");
        const run = await backup(file, source);
        expect([source, run.code, run.out]).toEqual([source, 1, ""]);
        expect(run.err).toMatch(said);
        expect(existsSync(file)).toBe(false);
      }
    },
    TIMEOUT,
  );

  test(
    "a copy that fails half-way (the file size limit of a full disk) exits 1 and removes the partial file",
    async () => {
      const { path, store } = history(5);
      // Another org's snapshot large enough that the copy outgrows the limit below.
      new Database(path).run("INSERT INTO snapshots VALUES ('padding', 0, 1, ?)", ["x".repeat(2_000_000)]);
      const file = fresh("partial.db");
      // `ulimit -f` in 512- or 1024-byte blocks: at most 1 MB may be written; the ignored SIGXFSZ makes writes fail instead.
      const limited = ["sh", "-c", 'ulimit -f 1024 && trap "" XFSZ && exec "$@"', "sh"];
      const run = await cli(["--backup-history", file], { DB_PATH: path, BUN_RUNTIME_TRANSPILER_CACHE_PATH: "0" }, limited);
      expect(run.code).toBe(1);
      expect(run.out).toBe("");
      expect(run.err).toMatch(/^--backup-history: failed: backing up .* \((io|full)\)\n$/);
      expect(existsSync(file)).toBe(false);
      store.close();
    },
    TIMEOUT,
  );

  test("DB_PATH is found as the exporter finds it, with no other setting required", () => {
    expect(loadDbPath({ env: { RAILWAY_VOLUME_MOUNT_PATH: "/vol/" }, argv: [] })).toBe("/vol/nvidia-cls-exporter.db");
    expect(loadDbPath({ env: { DB_PATH: "/a.db" }, argv: ["-db-path", "/b.db", "-cache-ttl", "not checked"] })).toBe("/b.db");
    expect(loadDbPath({ env: {}, argv: [] })).toBe("./data/nvidia-cls-exporter.db");
    expect(() => loadDbPath({ env: { DB_PATH: " " }, argv: [] })).toThrow("DB_PATH: must not be empty");
  });

  test("--help lists the command", () => {
    expect(usage()).toContain("--backup-history FILE");
  });
});

describe("--backup-history while another process keeps recording", () => {
  test(
    "each copy is consistent: it passes integrity_check and holds a prefix of what was written",
    async () => {
      const path = fresh("busy.db");
      const writer = harness.spawn("writer", [process.execPath, "run", "test/commands/backup-writer.ts", path]);
      await writer.waitForLine(/recording/);
      const files = [fresh("b1.db"), fresh("b2.db"), fresh("b3.db")];
      for (const file of files) {
        const run = await backup(file, path);
        expect(run.err).toBe("");
        expect(run.code).toBe(0);
      }
      expect(await writer.stop()).toBe(0);
      const original = rowsUpTo(path, Number.POSITIVE_INFINITY);
      const times = files.map((file) => checkCopy(file, path, original.length));
      // The writer went on between the copies: each is a different moment of one growing history.
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(new Set(times).size).toBe(files.length);
    },
    TIMEOUT,
  );
});

function count(path: string, sql: string): Record<string, number> {
  const db = new Database(path, { readonly: true });
  const row = db.query(sql).get() as Record<string, number>;
  db.close();
  return row;
}

type Row = { series_id: number; start: number; end: number | null; last: number };

function rowsUpTo(path: string, until: number): Row[] {
  const db = new Database(path, { readonly: true });
  const rows = db.query("SELECT series_id, start, end, last FROM samples WHERE start <= ? ORDER BY series_id, start").all(until) as Row[];
  db.close();
  return rows;
}

/** One point in time: the snapshot, the org's progress and the rows agree, and match what the writer went on to write. */
function checkCopy(file: string, source: string, writtenInAll: number): number {
  const db = new Database(file, { readonly: true });
  expect(db.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
  expect(db.query("PRAGMA application_id").get()).toEqual({ application_id: APPLICATION_ID });
  const { at } = db.query("SELECT collected_at AS at FROM snapshots WHERE org_name = 'writer-org'").get() as { at: number };
  const { until } = db.query("SELECT value AS until FROM store_state WHERE org_name = 'writer-org' AND name = 'observed_until'").get() as {
    until: number;
  };
  db.close();
  expect(until).toBe(at);
  const i = (at - BACKUP_T0) / 60;
  const copy = storeAt(file, "writer-org");
  expect(copy.restore()).toEqual(busyRefresh(at, i));
  copy.close();
  // The copy's newest rows are still open there; the writer closed them later.
  const copied = rowsUpTo(file, at).map((r) => ({ ...r, end: r.start === at ? null : r.end }));
  const written = rowsUpTo(source, at).map((r) => ({ ...r, end: r.start === at ? null : r.end }));
  expect(copied).toEqual(written);
  // Every series changes at every refresh: one row per series and refresh, none missing, none from a later one.
  expect(copied.length).toBe(count(file, "SELECT count(*) AS n FROM series").n! * (i + 1));
  expect(copied.length).toBeLessThanOrEqual(writtenInAll);
  return at;
}
