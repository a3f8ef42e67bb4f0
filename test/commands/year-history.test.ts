/**
 * The commands that copy a history, on a year of one org (year-fixture.ts: 576 series, 487,792
 * rows, 25 MB, written in under a second): `--backup-history` while another process writes the
 * file, `--migrate-history` into a real PostgreSQL with the same /report and /history answers after
 * it, and a migration killed part-way then completed. Times are logged, never asserted (speed
 * belongs in bench/). Measured here: the whole file ~35 s (backup 0.6 s, migration 10 s, the
 * killed run's completion 7 s, the roll-up check 3 s).
 */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { HistoryStore } from "../../src/store/index.ts";
import { PgHistoryStore } from "../../src/store/pg/store.ts";
import type { HistoryQuery } from "../../src/store/query.ts";
import { rollTarget } from "../../src/store/rollup.ts";
import { Harness } from "../integration/harness.ts";
import { pgCount, serverForFile } from "../pg/server.ts";
import { pgCounts, pgDigest, sqliteCounts, sqliteRowDifference } from "./year-checks.ts";
import { DAY, writeYearHistory, YEAR_END, YEAR_ORG, YEAR_START, type YearHistory, yearStoreOptions } from "./year-fixture.ts";
import { FEATURES } from "./year-fleet.ts";

setDefaultTimeout(240_000);
const server = serverForFile();
const harness = new Harness();
const dir = harness.tempDir("cls-year-");
afterAll(() => harness.cleanup());
const path = join(dir, "year.db");
let year: YearHistory;
const log = (line: string) => process.stderr.write(`year-history: ${line}\n`);
const timed = async <T>(what: string, work: () => Promise<T> | T): Promise<T> => {
  const t0 = performance.now();
  const out = await work();
  log(`${what}: ${Math.round(performance.now() - t0)} ms`);
  return out;
};

beforeAll(async () => {
  year = await timed("writing the year", () => writeYearHistory(path));
  log(`${year.series} series, ${year.rows} rows, ${Bun.file(path).size} bytes`);
});

const REPORT = { from: YEAR_END - 365 * DAY, to: YEAR_END, filter: {} };
const QUERIES: HistoryQuery[] = [
  { kind: "active_leases", filter: { feature_name: FEATURES[0] }, from: YEAR_START, to: YEAR_END, step: DAY },
  { kind: "feature_in_use", filter: { scope: "org" }, from: YEAR_END - 30 * DAY, to: YEAR_END, step: 60, fitStep: true },
  { kind: "pool_in_use", filter: {}, from: YEAR_START + 199 * DAY, to: YEAR_START + 202 * DAY, step: 3_600 },
];
/** `bun run src/index.ts ARGS` with only PATH and `vars` in its environment, as a user runs a command. */
async function cli(args: string[], vars: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn([process.execPath, "run", "src/index.ts", ...args], {
    env: { PATH: process.env.PATH ?? "", ...vars },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, out, err] = await Promise.all([p.exited, new Response(p.stdout).text(), new Response(p.stderr).text()]);
  return { code, out, err };
}

const openSqlite = (file: string, nowS = YEAR_END) => new HistoryStore({ ...yearStoreOptions(nowS), path: file });

describe("the year-sized history", () => {
  test("is what the store reads: /report over 365 days, /history across the year, the last snapshot, the writer going on", async () => {
    expect(Bun.file(path).size).toBeGreaterThan(20_000_000);
    const counts = sqliteCounts(path, YEAR_ORG);
    expect(counts).toEqual({ series: year.series, samples: year.rows, rolled: counts.rolled, store_state: 2, snapshots: 1 });
    expect(counts.rolled).toBeGreaterThan(10_000);
    const store = openSqlite(path);
    try {
      expect(store.restore()).toEqual(year.last);
      const report = await store.report(REPORT, year.last);
      expect(report.features).toHaveLength(50);
      expect(report.features.filter((f) => f.time_at_capacity_seconds > 0).length).toBeGreaterThan(0);
      for (const q of QUERIES) {
        const answer = await store.query(q);
        expect(answer.series.length).toBeGreaterThan(0);
        expect(answer.series.every((s) => s.points.length > 0)).toBe(true);
      }
    } finally {
      store.close();
    }
    // On a copy: the writer loads the file's open rows, so the same values a minute later write no row.
    const going = join(dir, "going-on.db");
    copyFileSync(path, going);
    const writer = openSqlite(going, YEAR_END + 60);
    writer.record({ ...year.last, collectedAt: (YEAR_END + 60) * 1000 });
    expect(writer.unavailable()).toBeUndefined();
    writer.close();
    expect(sqliteCounts(going, YEAR_ORG).samples).toBe(year.rows);
    expect(observedUntil(going, YEAR_ORG)).toBe(YEAR_END + 60);
  });

  test("its roll-up is the store's own: a raw copy rolled up by the store's upkeep holds the same rows", () => {
    const nowS = YEAR_START + 11 * DAY;
    const until = rollTarget(nowS, yearStoreOptions());
    const raw = join(dir, "raw.db");
    writeYearHistory(raw, null);
    const store = openSqlite(raw, nowS);
    while (store.maintain()) {}
    store.close();
    const expected = join(dir, "rolled-early.db");
    writeYearHistory(expected, until);
    expect(sqliteCounts(raw, YEAR_ORG)).toEqual(sqliteCounts(expected, YEAR_ORG));
    expect(sqliteCounts(raw, YEAR_ORG).rolled).toBeGreaterThan(500);
    expect(sqliteRowDifference(raw, expected)).toBe(0);
  });
});

type Row = { series_id: number; start: number; end: number | null; last: number };
function writerRows(file: string, until: number): Row[] {
  const db = new Database(file, { readonly: true });
  try {
    const q = `SELECT m.series_id, m.start, m."end", m.last FROM samples m JOIN series s ON s.id = m.series_id
      WHERE s.org_name = 'writer-org' AND m.start <= ? ORDER BY 1, 2`;
    // The copy's newest rows are still open there; the writer closed them later.
    return (db.query(q).all(until) as Row[]).map((r) => ({ ...r, end: r.start === until ? null : r.end }));
  } finally {
    db.close();
  }
}

function observedUntil(file: string, org: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.query("SELECT value FROM store_state WHERE org_name = ? AND name = 'observed_until'").get(org) as { value: number }).value;
  } finally {
    db.close();
  }
}

test("--backup-history copies the year while another process records into the same file", async () => {
  const busy = join(dir, "busy.db");
  copyFileSync(path, busy);
  const writer = harness.spawn("writer", [process.execPath, "run", "test/commands/backup-writer.ts", busy]);
  await writer.waitForLine(/recording/);
  const before = { year: sqliteCounts(busy, YEAR_ORG), writer: sqliteCounts(busy, "writer-org") };
  const file = join(dir, "year-backup.db");
  const run = await timed("--backup-history of the year", () => cli(["--backup-history", file], { DB_PATH: busy }));
  expect(await writer.stop()).toBe(0);
  expect([run.code, run.err]).toEqual([0, ""]);
  expect(run.out).toContain(`history backed up to ${file}: `);
  const copy = new Database(file, { readonly: true });
  expect(copy.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
  copy.close();
  expect(sqliteCounts(file, YEAR_ORG)).toEqual(before.year);
  const copied = sqliteCounts(file, "writer-org");
  expect(copied.samples).toBeGreaterThanOrEqual(before.writer.samples);
  expect(copied.series).toBe(before.writer.series);
  const at = observedUntil(file, "writer-org");
  expect(writerRows(file, at)).toEqual(writerRows(busy, at));
});

describe("--migrate-history of the year", () => {
  let url: string;
  let migrated: Awaited<ReturnType<typeof pgDigest>>;
  beforeAll(async () => {
    url = await server().createDatabase("year_full");
  });

  test("copies it with progress lines, exit 0, the same rows per table and the same /report and /history from PostgreSQL", async () => {
    const run = await timed("--migrate-history of the year", () => cli(["--migrate-history", url], { DB_PATH: path }));
    expect(run.code).toBe(0);
    expect(run.err).toMatch(new RegExp(`^--migrate-history: org ${YEAR_ORG}: series 0/${year.series}, 0 rows copied$`, "m"));
    expect(run.out).toContain(`1 org, ${year.series} series (${year.series} new), ${year.rows} rows copied`);
    log(`progress lines: ${run.err.trimEnd().split("\n").length}`);
    expect(await pgCounts(url, YEAR_ORG)).toEqual(sqliteCounts(path, YEAR_ORG));
    const [sqlite, pg] = [openSqlite(path), await PgHistoryStore.open({ ...yearStoreOptions(), url })];
    try {
      const want = await sqlite.report(REPORT, year.last);
      expect(want.features).toHaveLength(50);
      expect(await timed("/report over 365 days from PostgreSQL", () => pg.report(REPORT, year.last))).toEqual(want);
      for (const q of QUERIES) {
        const answer = await sqlite.query(q);
        expect(answer.series.length).toBeGreaterThan(0);
        expect(await pg.query(q)).toEqual(answer);
      }
      expect(await pg.restore()).toEqual(year.last);
    } finally {
      sqlite.close();
      await pg.close();
    }
    migrated = await pgDigest(url);
    expect(migrated.rows).toBe(year.rows);
  });

  test("killed part-way (SIGKILL after its first progress line), then run again: the same rows, no duplicates", async () => {
    expect(migrated).toBeDefined();
    const target = await server().createDatabase("year_killed");
    const first = harness.spawn("migration", [process.execPath, "run", "src/index.ts", "--migrate-history", target], { DB_PATH: path });
    await first.waitForLine(/--migrate-history: org \S+: series \d+\/\d+/, { timeoutMs: 120_000 });
    // Until the first batch of rows has committed, so the kill lands inside the copy of the samples.
    await waitForRows(target);
    first.proc.kill("SIGKILL");
    await first.proc.exited;
    const partial = await pgCount(target, "SELECT count(*) AS n FROM samples");
    log(`killed after ${partial} of ${year.rows} rows`);
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(year.rows);
    const run = await timed("--migrate-history completing the killed run", () => cli(["--migrate-history", target], { DB_PATH: path }));
    expect(run.code).toBe(0);
    expect(run.out).toContain(`${year.rows - partial} rows copied`);
    expect(await pgDigest(target)).toEqual(migrated);
    expect(await pgCounts(target, YEAR_ORG)).toEqual(sqliteCounts(path, YEAR_ORG));
  });
});

async function waitForRows(url: string): Promise<void> {
  for (let n = 0; n === 0; n = await pgCount(url, "SELECT count(*) AS n FROM samples").catch(() => 0)) await Bun.sleep(5);
}
