import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { HistoryQuery } from "../../src/store/query.ts";
import { TooManyPoints } from "../../src/store/query.ts";
import { HOUR } from "../../src/store/rollup.ts";
import { DAY, T0, tempDir, tenDays } from "../store/helpers.ts";
import { eventfulHistory, feed, maintainBoth, openPair, type Pair } from "./parity.ts";
import { pgCount, serverForFile } from "./server.ts";

const server = serverForFile();
const tmp = tempDir("cls-pgstore-");
afterAll(tmp.cleanup);

/** Both engines' answers to `q`: equal, and the SQLite one returned for further checks. */
async function sameAnswer(p: Pair, q: HistoryQuery) {
  const want = await p.sqlite.query(q);
  expect(await p.pg.query(q)).toEqual(want);
  return want;
}

const START = T0 + 2 * HOUR;
const RANGE = { from: START - HOUR, to: START + 4 * HOUR };

describe("PgHistoryStore gives the SQLite store's answers for the same snapshots", () => {
  let p: Pair;
  beforeAll(async () => {
    p = await openPair(tmp.dir, await server().createDatabase("parity_db"), { orgName: "org-a", rawRetentionS: DAY, retentionS: 5 * DAY });
    p.clock.now = (START + 3 * HOUR) * 1000;
    await feed(p, eventfulHistory(START));
  }, 120_000);
  afterAll(async () => {
    p.sqlite.close();
    await p.pg.close();
  });

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
    for (const q of queries) await sameAnswer(p, q);
    const all = await sameAnswer(p, queries[0]!);
    expect(all.series.length).toBe(3);
    // The rename updated the series' labels instead of starting a new one.
    expect(all.series.map((s) => s.labels.server_name).sort()).toEqual(["name-s1", "name-s1", "renamed s2"]);
  });

  test("an answer too large is refused by both before any row is read", async () => {
    const q: HistoryQuery = { kind: "active_leases", filter: {}, from: START - 100 * DAY, to: START, step: 1 };
    await expect(p.sqlite.query(q)).rejects.toBeInstanceOf(TooManyPoints);
    await expect(p.pg.query(q)).rejects.toBeInstanceOf(TooManyPoints);
  });

  test("after roll-up on both, a range reaching into rolled-up hours reads the same whole-hour buckets", async () => {
    await maintainBoth(p, START + 3 * DAY);
    const rolled = await pgCount(server().url("parity_db"), "SELECT count(*) AS n FROM samples WHERE min IS NOT NULL");
    expect(rolled).toBeGreaterThan(0);
    for (const step of [60, 3600, 7200]) {
      const q: HistoryQuery = { kind: "active_leases", filter: {}, ...RANGE, step };
      expect((await sameAnswer(p, q)).step % HOUR).toBe(0);
    }
    await sameAnswer(p, { kind: "feature_in_use", filter: { feature_name: "vpc" }, ...RANGE, step: 3600 });
  }, 60_000);

  test("pruning past the retention keeps only the open rows, on both", async () => {
    await maintainBoth(p, START + 6 * DAY);
    await sameAnswer(p, { kind: "active_leases", filter: {}, ...RANGE, step: 3600 });
    await sameAnswer(p, { kind: "active_leases", filter: {}, from: START, to: START + 7 * DAY, step: 3600 });
    expect(await pgCount(server().url("parity_db"), "SELECT count(*) AS n FROM samples")).toBe(
      await pgCount(server().url("parity_db"), 'SELECT count(*) AS n FROM samples WHERE "end" IS NULL'),
    );
  }, 60_000);
});

describe("reports", () => {
  test("the same report rows from the report fixtures, before and after roll-up, for several ranges and filters", async () => {
    const p = await openPair(tmp.dir, await server().createDatabase("report_db"), {
      orgName: "org-r",
      maxGapS: 700,
      rawRetentionS: 3 * DAY,
    });
    try {
      const snapshots: Parameters<typeof feed>[1][number][] = [];
      const current = tenDays({ record: (s) => snapshots.push(s) }, 300);
      await feed(p, snapshots);
      p.clock.now = (T0 + 10 * DAY) * 1000;
      const reports = async () => {
        const ranges = [
          { from: T0, to: T0 + 10 * DAY, filter: {} },
          { from: T0 + 6 * DAY + 9 * HOUR, to: T0 + 9 * DAY, filter: { scope: "org" as const } },
          { from: T0 + DAY, to: T0 + 2 * DAY, filter: { feature_name: "vpc" } },
        ];
        for (const q of ranges) {
          const want = await p.sqlite.report(q, current);
          expect(want.features.length).toBeGreaterThan(0);
          expect(await p.pg.report(q, current)).toEqual(want);
        }
      };
      await reports();
      await maintainBoth(p, T0 + 10 * DAY);
      await reports();
    } finally {
      p.sqlite.close();
      await p.pg.close();
    }
  }, 120_000);
});
