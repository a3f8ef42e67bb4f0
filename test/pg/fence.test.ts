/**
 * The fence of a leader's writes (src/store/pg/fence.ts) on a real PostgreSQL: only a store whose
 * lock session holds the org's lock writes; a write after that session ended is rolled back
 * without being counted as a failure; a new leader's reload waits for a write still in flight.
 */
import { expect, test } from "bun:test";
import postgres from "postgres";
import { createLogger } from "../../src/log.ts";
import { leaderFence, WRITE_FENCE_CLASS } from "../../src/store/pg/fence.ts";
import { openLockSession } from "../../src/store/pg/lock-session.ts";
import { PgHistoryStore, type PgStoreOptions } from "../../src/store/pg/store.ts";
import { HOUR } from "../../src/store/rollup.ts";
import { snapshotAt, T0 } from "../store/helpers.ts";
import { pgCount, serverForFile } from "./server.ts";

const server = serverForFile();
const START = T0 + 5 * HOUR;
const ORG = "org-fenced";

function options(url: string, pid: () => number | undefined): PgStoreOptions {
  const log = createLogger({ write: () => {} });
  return {
    url,
    orgName: ORG,
    maxGapS: 130,
    rawRetentionS: 86_400,
    retentionS: 400 * 86_400,
    now: () => (START + HOUR) * 1000,
    log,
    guard: leaderFence(ORG, pid),
  };
}

test("only the store whose session holds the org's lock writes; once that session ends its writes are rolled back, not counted", async () => {
  const url = await server().createDatabase("fence_db");
  const leader = await openLockSession(url, ORG, () => {});
  const other = await openLockSession(url, ORG, () => {});
  expect(await leader.tryLock()).toBe(true);
  expect(await other.tryLock()).toBe(false);
  const led = await PgHistoryStore.open(options(url, () => leader.pid));
  const notLed = await PgHistoryStore.open(options(url, () => other.pid));
  const nobody = await PgHistoryStore.open(options(url, () => undefined));
  try {
    expect(await led.record(snapshotAt(START, { "s1/vpc": 1 }))).toBe(true);
    const rows = await pgCount(url, "SELECT count(*) AS n FROM samples");
    expect(await notLed.record(snapshotAt(START + 60, { "s1/vpc": 2 }))).toBe(false);
    expect(await nobody.record(snapshotAt(START + 60, { "s1/vpc": 2 }))).toBe(false);
    expect(await pgCount(url, "SELECT count(*) AS n FROM samples")).toBe(rows);
    expect(notLed.stats.writeErrors.size + nobody.stats.writeErrors.size).toBe(0);

    await leader.end();
    expect(await led.record(snapshotAt(START + 120, { "s1/vpc": 3 }))).toBe(false);
    expect(await pgCount(url, "SELECT count(*) AS n FROM samples")).toBe(rows);
    expect(led.stats.writeErrors.size).toBe(0);
  } finally {
    await Promise.all([led.close(), notLed.close(), nobody.close(), other.end()]);
  }
}, 60_000);

test("a new leader's reload waits until a write of the org still in flight has ended", async () => {
  const url = await server().createDatabase("takeover_db");
  const store = await PgHistoryStore.open(options(url, () => undefined));
  const writer = postgres(url, { max: 1, onnotice: () => {} });
  let release!: () => void;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let inside!: () => void;
  const entered = new Promise<void>((resolve) => {
    inside = resolve;
  });
  // Stands for the previous leader's write transaction, which holds the per-org write lock shared.
  const previous = writer.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock_shared(${WRITE_FENCE_CLASS}::int, hashtext(${ORG}))`;
    inside();
    await held;
  });
  try {
    await entered;
    let reloaded = false;
    const reload = store.reload().then(() => {
      reloaded = true;
    });
    await Bun.sleep(500);
    expect(reloaded).toBe(false);
    release();
    await previous;
    await reload;
    expect(reloaded).toBe(true);
  } finally {
    release();
    await store.close();
    await writer.end();
  }
}, 60_000);
