import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Snapshot } from "../../src/snapshot/types.ts";
import type { HistoryQuery } from "../../src/store/query.ts";
import { HOUR } from "../../src/store/rollup.ts";
import { eventfulHistory } from "../pg/parity.ts";
import type { Engine, EngineDatabase, EngineStore, StoreSettings } from "./engines.ts";
import { DAY, T0, tenDays } from "./helpers.ts";

const START = T0 + 2 * HOUR;
const RANGE = { from: START - HOUR, to: START + 4 * HOUR };

interface Opened {
  db: EngineDatabase;
  store: EngineStore;
}

/** The org opened on a fresh database of each engine, with one clock, and `snapshots` recorded in order in each. */
async function openEach(engines: Engine[], settings: StoreSettings, snapshots: readonly Snapshot[]): Promise<Opened[]> {
  return Promise.all(
    engines.map(async (engine) => {
      const db = await engine.database();
      const store = await db.open("org-a", settings);
      for (const s of snapshots) await store.record(s);
      return { db, store };
    }),
  );
}

/** Every engine's answer equals the first one's, which is returned for further checks. */
async function sameAnswer<T>(opened: Opened[], ask: (store: EngineStore) => Promise<T>): Promise<T> {
  const [want, ...others] = await Promise.all(opened.map((o) => ask(o.store)));
  for (const got of others) expect(got).toEqual(want!);
  return want!;
}

const maintainEach = (opened: Opened[], nowS: number) => Promise.all(opened.map((o) => o.store.maintain(nowS)));

/**
 * One history with everything the writer has rules for (eventfulHistory), recorded by every engine:
 * their /history and report answers must be equal, before and after roll-up and pruning.
 */
export function parityTests(engines: Engine[]): void {
  let opened: Opened[];
  const clock = { now: (START + 3 * HOUR) * 1000 };
  beforeAll(async () => {
    opened = await openEach(engines, { rawRetentionS: DAY, retentionS: 5 * DAY, clock }, eventfulHistory(START));
  }, 120_000);
  afterAll(() => Promise.all(opened.map((o) => o.store.close())));

  test("/history: every kind, filters and steps, before roll-up", async () => {
    const queries: HistoryQuery[] = [
      { kind: "active_leases", filter: {}, ...RANGE, step: 60 },
      { kind: "active_leases", filter: { server_id: "s2" }, ...RANGE, step: 300 },
      { kind: "active_leases", filter: { feature_name: "vws" }, from: START + 30 * 60, to: START + 95 * 60, step: 7 },
      { kind: "feature_in_use", filter: {}, ...RANGE, step: 900 },
      { kind: "feature_in_use", filter: { scope: "org" }, from: START + 101 * 60, to: START + 200 * 60, step: 60 },
      { kind: "active_leases", filter: {}, from: START - 10 * DAY, to: START + 10 * DAY, step: 60, fitStep: true },
      { kind: "pool_in_use", filter: {}, ...RANGE, step: 60 },
    ];
    for (const q of queries) await sameAnswer(opened, (s) => s.query(q));
    const answer = await sameAnswer(opened, (s) => s.query(queries[0]!));
    // The rename updated the series' labels instead of starting a new one.
    expect(answer.series.map((s) => s.labels.server_name).sort()).toEqual(["name-s1", "name-s1", "renamed s2"]);
  });

  test("after roll-up, a range reaching into rolled-up hours reads the same whole-hour buckets", async () => {
    await maintainEach(opened, START + 3 * DAY);
    for (const { db } of opened) expect((await db.sql("SELECT count(*) AS c FROM samples WHERE min IS NOT NULL"))[0]!.c).toBeGreaterThan(0);
    for (const step of [60, 3600, 7200]) {
      const answer = await sameAnswer(opened, (s) => s.query({ kind: "active_leases", filter: {}, ...RANGE, step }));
      expect(answer.step % HOUR).toBe(0);
    }
    await sameAnswer(opened, (s) => s.query({ kind: "feature_in_use", filter: { feature_name: "vpc" }, ...RANGE, step: 3600 }));
  }, 60_000);

  test("after pruning past the retention, the same answers", async () => {
    await maintainEach(opened, START + 6 * DAY);
    await sameAnswer(opened, (s) => s.query({ kind: "active_leases", filter: {}, ...RANGE, step: 3600 }));
    await sameAnswer(opened, (s) => s.query({ kind: "active_leases", filter: {}, from: START, to: START + 7 * DAY, step: 3600 }));
  }, 60_000);

  test("the same report rows for several ranges and filters, before and after roll-up", async () => {
    const snapshots: Snapshot[] = [];
    const current = tenDays({ record: (s) => snapshots.push(s) }, 300);
    const each = await openEach(engines, { maxGapS: 700, rawRetentionS: 3 * DAY, clock: { now: (T0 + 10 * DAY) * 1000 } }, snapshots);
    const ranges = [
      { from: T0, to: T0 + 10 * DAY, filter: {} },
      { from: T0 + 6 * DAY + 9 * HOUR, to: T0 + 9 * DAY, filter: { scope: "org" as const } },
      { from: T0 + DAY, to: T0 + 2 * DAY, filter: { feature_name: "vpc" } },
    ];
    const reports = async () => {
      for (const q of ranges) expect((await sameAnswer(each, (s) => s.report(q, current))).features.length).toBeGreaterThan(0);
    };
    try {
      await reports();
      await maintainEach(each, T0 + 10 * DAY);
      await reports();
    } finally {
      await Promise.all(each.map((o) => o.store.close()));
    }
  }, 120_000);
}
