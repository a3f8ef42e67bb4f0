import { afterAll, expect, test } from "bun:test";
import postgres from "postgres";
import { StoreError } from "../../src/errors.ts";
import { createLogger } from "../../src/log.ts";
import { PgHistoryStore, type PgStoreOptions } from "../../src/store/pg/store.ts";
import { type HistoryQuery, QueryCancelled } from "../../src/store/query.ts";
import { HOUR } from "../../src/store/rollup.ts";
import { snapshotAt, T0, tempDir } from "../store/helpers.ts";
import { feed, openPair } from "./parity.ts";
import { serverForFile } from "./server.ts";

const server = serverForFile();
const tmp = tempDir("cls-pgstore-");
afterAll(tmp.cleanup);

const START = T0 + 5 * HOUR;
const all = (from: number, to: number): HistoryQuery => ({ kind: "active_leases", filter: {}, from, to, step: 60 });

function options(url: string, orgName: string, lines: string[] = []): PgStoreOptions {
  const log = createLogger({ write: (l) => lines.push(l) });
  return { url, orgName, maxGapS: 130, rawRetentionS: 86_400, retentionS: 400 * 86_400, now: () => (START + HOUR) * 1000, log };
}

async function exec(url: string, text: string): Promise<Record<string, unknown>[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return [...(await sql.unsafe(text))];
  } finally {
    await sql.end();
  }
}

test("restore() after closing and reopening serves the last snapshot; the reopened store continues its open rows", async () => {
  const url = await server().createDatabase("restore_db");
  let store = await PgHistoryStore.open(options(url, "org-a"));
  expect(await store.restore()).toBeUndefined();
  const last = snapshotAt(START + 60, { "s1/vpc": 3 });
  await store.record(snapshotAt(START, { "s1/vpc": 3 }));
  await store.record(last);
  await store.close();
  store = await PgHistoryStore.open(options(url, "org-a"));
  try {
    expect(await store.restore()).toEqual(last);
    // The same value a minute later joins the open row: no new row, only observed_until moves.
    expect(await store.record(snapshotAt(START + 120, { "s1/vpc": 3 }))).toBe(true);
    // One open row per series (the server feature and its demand per scope), each since START.
    expect(
      await exec(url, 'SELECT count(*)::int AS n, min(start)::int AS s, max(start)::int AS e, count("end")::int AS closed FROM samples'),
    ).toEqual([{ n: 3, s: START, e: START, closed: 0 }]);
    const answer = await store.query(all(START, START + 300));
    expect(answer.series[0]?.points.map((pt) => pt.t)).toEqual([START, START + 60, START + 120]);
  } finally {
    await store.close();
  }
}, 60_000);

test("a stored snapshot of a layout this version does not know is not restored, with a log line", async () => {
  const url = await server().createDatabase("layout_db");
  const lines: string[] = [];
  const store = await PgHistoryStore.open(options(url, "org-a", lines));
  try {
    await store.record(snapshotAt(START, { "s1/vpc": 1 }));
    await exec(url, "UPDATE snapshots SET format = 99");
    expect(await store.restore()).toBeUndefined();
    expect(lines.join("")).toContain("layout 99");
  } finally {
    await store.close();
  }
}, 60_000);

test("two orgs in one database see only their own history and snapshot", async () => {
  const url = await server().createDatabase("two_orgs_db");
  const a = await PgHistoryStore.open(options(url, "org-a"));
  const b = await PgHistoryStore.open(options(url, "org-b"));
  try {
    for (let m = 0; m < 5; m++) {
      await a.record(snapshotAt(START + m * 60, { "s1/vpc": m }));
      await b.record(snapshotAt(START + m * 60, { "s1/vpc": 7, "s2/vpc": 8 }));
    }
    const ofA = await a.query(all(START, START + HOUR));
    const ofB = await b.query(all(START, START + HOUR));
    expect(ofA.series.length).toBe(1);
    expect(ofA.series[0]!.points.map((pt) => pt.last)).toEqual([0, 1, 2, 3, 4]);
    expect(ofB.series.map((s) => s.points.map((pt) => pt.last))).toEqual([
      [7, 7, 7, 7, 7],
      [8, 8, 8, 8, 8],
    ]);
    expect((await a.restore())?.serverFeatures[0]?.active).toBe(4);
    expect((await b.restore())?.serverFeatures[0]?.active).toBe(7);
    // Upkeep of one org leaves the other's progress alone.
    await a.maintain(START + 30 * 86_400);
    expect(await exec(url, "SELECT DISTINCT org_name FROM store_state WHERE name = 'rolled_until'")).toEqual([{ org_name: "org-a" }]);
    expect((await b.query(all(START, START + HOUR))).series).toEqual(ofB.series);
  } finally {
    await a.close();
    await b.close();
  }
}, 60_000);

test("the clock going back further than a gap drops what was recorded after it, as on SQLite, with a log line", async () => {
  const url = await server().createDatabase("clock_db");
  const p = await openPair(tmp.dir, url, { orgName: "org-c" });
  try {
    const ahead = [0, 1, 2, 3, 4, 5].map((m) => snapshotAt(START + m * 600 + 60 * 60, { "s1/vpc": m }));
    const back = [0, 1, 2].map((m) => snapshotAt(START + m * 60, { "s1/vpc": 9 - m }));
    await feed(p, [...ahead, ...back]);
    const q = all(START - HOUR, START + 3 * HOUR);
    const want = await p.sqlite.query(q);
    expect(await p.pg.query(q)).toEqual(want);
    expect(want.series[0]!.points.map((pt) => pt.last)).toEqual([9, 8, 7]);
    expect(p.lines.filter((l) => l.includes("the clock went back")).length).toBe(2);
  } finally {
    p.sqlite.close();
    await p.pg.close();
  }
}, 60_000);

test("a renamed server keeps its series: labels updated, history continuous", async () => {
  const url = await server().createDatabase("rename_db");
  const store = await PgHistoryStore.open(options(url, "org-a"));
  try {
    const before = snapshotAt(START, { "s1/vpc": 2 });
    const after = snapshotAt(START + 60, { "s1/vpc": 2 });
    const label = after.serverFeatures[0]!.labels;
    after.serverFeatures[0] = { ...after.serverFeatures[0]!, labels: { ...label, server_name: "new name" } };
    await store.record(before);
    await store.record(after);
    const answer = await store.query(all(START, START + 300));
    expect(answer.series.map((s) => s.labels.server_name)).toEqual(["new name"]);
    expect(answer.series[0]!.points.length).toBe(2);
    // One series and one row for the server feature (the others are its demand per scope).
    expect(await exec(url, "SELECT count(*)::int AS n FROM series WHERE kind = 'active_leases'")).toEqual([{ n: 1 }]);
    expect(await exec(url, "SELECT count(*)::int AS n FROM samples")).toEqual([{ n: 3 }]);
  } finally {
    await store.close();
  }
}, 60_000);

test("a failed write is counted by reason and logged once without the password; the store keeps serving and recovers", async () => {
  const url = await server().createDatabase("fail_db");
  const lines: string[] = [];
  const secret = "pw-Never-Shown";
  await exec(url, `ALTER USER postgres PASSWORD '${secret}'`);
  const store = await PgHistoryStore.open(options(url.replace("postgres@", `postgres:${secret}@`), "org-a", lines));
  try {
    await store.record(snapshotAt(START, { "s1/vpc": 1 }));
    await exec(url, "ALTER TABLE samples RENAME TO samples_away");
    expect(await store.record(snapshotAt(START + 60, { "s1/vpc": 2 }))).toBe(false);
    expect(await store.record(snapshotAt(START + 90, { "s1/vpc": 3 }))).toBe(false);
    expect(store.stats.writeErrors.get("error")).toBe(2);
    expect(lines.filter((l) => l.includes("history not recorded")).length).toBe(1);
    expect(lines.join("")).not.toContain(secret);
    // The failed transaction left memory as the database is: the next write closes the right row.
    expect((await store.restore())?.serverFeatures[0]?.active).toBe(1);
    await exec(url, "ALTER TABLE samples_away RENAME TO samples");
    expect(await store.record(snapshotAt(START + 120, { "s1/vpc": 4 }))).toBe(true);
    expect(lines.join("")).toContain("history writes recovered");
    const answer = await store.query(all(START, START + 300));
    expect(answer.series[0]!.points.map((pt) => [pt.t, pt.last])).toEqual([
      [START, 1],
      [START + 60, 1],
      [START + 120, 4],
    ]);
  } finally {
    await store.close();
  }
}, 60_000);

test("a query whose signal aborted is cancelled; a database with a newer schema is refused at open", async () => {
  const url = await server().createDatabase("cancel_db");
  const store = await PgHistoryStore.open(options(url, "org-a"));
  await store.record(snapshotAt(START, { "s1/vpc": 1 }));
  await store.close();
  const signal = AbortSignal.abort("client gone");
  const reopened = await PgHistoryStore.open(options(url, "org-a"));
  await expect(reopened.query(all(START, START + 60), signal)).rejects.toBeInstanceOf(QueryCancelled);
  await reopened.close();
  await exec(url, "INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('a-future-migration', 9999999999999)");
  const err = await PgHistoryStore.open(options(url, "org-a")).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(StoreError);
  expect((err as StoreError).reason).toBe("newer_schema");
}, 60_000);
