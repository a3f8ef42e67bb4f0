import { afterAll, beforeAll, expect, test } from "bun:test";
import postgres from "postgres";
import { createLogger } from "../../src/log.ts";
import { PgHistoryBackend } from "../../src/store/pg/backend.ts";
import { PgHistoryStore, type PgStoreOptions } from "../../src/store/pg/store.ts";
import { HistoryBusy, type HistoryQuery, QueryCancelled } from "../../src/store/query.ts";
import { HOUR } from "../../src/store/rollup.ts";
import { DAY, snapshotAt, T0 } from "../store/helpers.ts";
import { serverForFile } from "./server.ts";

const server = serverForFile();
const START = T0 + 5 * HOUR;
/** Two series over 30 days a minute apart: more than LIGHT_POINTS, the heavy lane. */
const heavy = (): HistoryQuery => ({ kind: "active_leases", filter: {}, from: START - 30 * DAY, to: START + HOUR, step: 60 });
/** One series over an hour: the light lane. */
const light = (): HistoryQuery => ({ kind: "active_leases", filter: { server_id: "s1" }, from: START, to: START + HOUR, step: 60 });

let url: string;
/** A client of the test's own, apart from the store's pool: locks and watches. */
let sql: postgres.Sql;

beforeAll(async () => {
  url = await server().createDatabase("lanes_db");
  sql = postgres(url, { max: 2, onnotice: () => {} });
  const store = await PgHistoryStore.open(options());
  for (let m = 0; m < 3; m++) await store.record(snapshotAt(START + m * 60, { "s1/vpc": m, "s2/vpc": 5 - m }));
  await store.close();
}, 120_000);
afterAll(() => sql?.end());

function options(over: Partial<PgStoreOptions> = {}, lines: string[] = []): PgStoreOptions {
  const log = createLogger({ write: (l) => lines.push(l) });
  return { url, orgName: "org-a", maxGapS: 130, rawRetentionS: DAY, retentionS: 400 * DAY, now: () => (START + HOUR) * 1000, log, ...over };
}

/**
 * Holds every read of `samples` (ACCESS EXCLUSIVE: a SELECT waits for it) until the returned
 * release is called; series and store_state stay readable, so queries are planned and then held.
 */
async function holdSamples(): Promise<() => Promise<void>> {
  let release = () => {};
  const released = new Promise<void>((r) => (release = r));
  let locked = () => {};
  const isLocked = new Promise<void>((r) => (locked = r));
  const tx = sql.begin(async (t) => {
    await t`LOCK TABLE samples IN ACCESS EXCLUSIVE MODE`;
    locked();
    await released;
  });
  await isLocked;
  return async () => {
    release();
    await tx;
  };
}

/** Waits (bounded) until `n` statements of this database wait for a lock: reads that reached PostgreSQL. */
async function readsWaiting(n: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const [row] =
      await sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`;
    if (row?.n === n) return;
    await Bun.sleep(25);
  }
  throw new Error(`never saw ${n} reads waiting for the samples lock`);
}

const outcome = (p: Promise<unknown>) =>
  p.then(
    () => "answered",
    (e: unknown) => (e instanceof HistoryBusy ? "busy" : e instanceof QueryCancelled ? "cancelled" : String(e)),
  );

test("HISTORY_MAX_WAITING 1: a third heavy query is refused busy while two are held, counted and logged; a cancelled waiting one never runs", async () => {
  const lines: string[] = [];
  const store = await PgHistoryStore.open(options({ maxWaiting: 1 }, lines));
  const release = await holdSamples();
  try {
    const running = store.query(heavy());
    running.catch(() => {});
    await readsWaiting(1);
    const clients = [new AbortController(), new AbortController()];
    const [b, c] = clients.map((client) => outcome(store.query(heavy(), client.signal)));
    // The lane holds one waiting query: whichever of the two took the place, the other is refused at once.
    const refused = await Promise.race([b!.then(() => 0), c!.then(() => 1)]);
    expect(await [b, c][refused]).toBe("busy");
    expect(store.stats.queries.get("busy")).toBe(1);
    expect(lines.filter((l) => l.includes("HISTORY_MAX_WAITING") && /max_waiting=1\b/.test(l)).length).toBe(1);
    clients[1 - refused]!.abort("client gone");
    expect(await [b, c][1 - refused]).toBe("cancelled");
    expect(store.stats.seriesRead).toBe(0);
    await release();
    expect((await running).series.length).toBe(2);
    // Only the running query read its series: the cancelled one left the line unread.
    expect(store.stats.seriesRead).toBe(2);
    expect(Object.fromEntries(store.stats.queries)).toEqual({ busy: 1, cancelled: 1, answered: 1 });
  } finally {
    await release();
    await store.close();
  }
}, 60_000);

test("a light query is not held behind a heavy one: both read at the same time", async () => {
  const store = await PgHistoryStore.open(options({ maxWaiting: 1 }));
  const release = await holdSamples();
  try {
    const held = store.query(heavy());
    held.catch(() => {});
    await readsWaiting(1);
    const small = store.query(light());
    small.catch(() => {});
    // With one lane for both, the light query could not reach PostgreSQL until the heavy one ended.
    await readsWaiting(2);
    await release();
    expect((await small).series.map((s) => s.labels.server_id)).toEqual(["s1"]);
    expect((await held).series.length).toBe(2);
    expect(store.stats.seriesRead).toBe(3);
  } finally {
    await release();
    await store.close();
  }
}, 60_000);

test("plans under way are bounded by what both lanes hold: one more is refused busy before it reaches the database", async () => {
  const store = await PgHistoryStore.open(options({ maxWaiting: 1 }));
  try {
    // 2 × (1 + 1) plans may be under way; the fifth is refused. (Once planned, the light lane may refuse others.)
    const sent = Array.from({ length: 5 }, () => store.query(light()).catch((e: unknown) => e));
    const planning = (await Promise.all(sent)).map((e) => e instanceof HistoryBusy && e.lane === "planning");
    expect(planning).toEqual([false, false, false, false, true]);
    expect(store.stats.queries.get("busy")).toBeGreaterThanOrEqual(1);
  } finally {
    await store.close();
  }
}, 60_000);

test("the backend's self-metrics count PostgreSQL queries by outcome and the series they read, as SQLite's do", async () => {
  const backend = await PgHistoryBackend.open({ ...options(), orgName: "org-b", detachAfterMs: 60_000 });
  try {
    expect(await backend.record(snapshotAt(START, { "s1/vpc": 1, "s2/vpc": 2, "s3/vpc": 3 }))).toBe(true);
    expect((await backend.query(heavy())).series.length).toBe(3);
    await expect(backend.query(heavy(), AbortSignal.abort())).rejects.toBeInstanceOf(QueryCancelled);
    expect(backend.stats.seriesRead).toBe(3);
    const report = await backend.report({ from: START - DAY, to: START + HOUR, filter: {} }, undefined);
    const { queries, seriesRead } = backend.stats;
    expect(Object.fromEntries(queries)).toEqual({ answered: 2, cancelled: 1, busy: 0, too_large: 0, failed: 0 });
    // Then the report's feature_in_use series, each with data in its range: one row each.
    expect(report.features.length).toBeGreaterThan(0);
    expect(seriesRead).toBe(3 + report.features.length);
  } finally {
    await backend.close();
  }
}, 60_000);
