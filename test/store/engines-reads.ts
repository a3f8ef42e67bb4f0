import { describe, expect, test } from "bun:test";
import type { Snapshot } from "../../src/snapshot/types.ts";
import { type HistoryQuery, TooManyPoints } from "../../src/store/query.ts";
import { HOUR } from "../../src/store/rollup.ts";
import type { Engine, EngineDatabase, EngineStore } from "./engines.ts";
import { DAY, orgAt, snapshotAt, T0, tenDays } from "./helpers.ts";

const T = T0 + 5 * HOUR;
const all = (from: number, to: number, step = 60): HistoryQuery => ({ kind: "active_leases", filter: {}, from, to, step });
const rolledRows = async (db: EngineDatabase) => (await db.sql("SELECT count(*) AS c FROM samples WHERE min IS NOT NULL"))[0]!.c;

/** Records in order, each write done before the next. */
async function recordAll(store: EngineStore, snapshots: readonly Snapshot[]): Promise<void> {
  for (const s of snapshots) await store.record(s);
}

/** /history, the renewal report, roll-up and pruning: tests of `engine`. */
export function readTests(engine: Engine): void {
  test("/history buckets: a row that began before `from` gives the range its first value; the last refresh counts at its instant", async () => {
    const store = await (await engine.database()).open("org-a", { clock: { now: (T + HOUR) * 1000 } });
    for (let t = T; t <= T + 1200; t += 60) await store.record(snapshotAt(t, { "s1/vpc": t < T + 600 ? 3 : 5, "s2/vpc": 1 }));
    const s1 = (q: HistoryQuery) => ({ ...q, filter: { server_id: "s1" } });
    const mid = await store.query(s1(all(T + 300, T + 900, 300)));
    expect(mid.series.map((s) => s.labels.server_id)).toEqual(["s1"]);
    expect(mid.series[0]!.points).toEqual([
      { t: T + 300, min: 3, max: 3, avg: 3, last: 3 },
      { t: T + 600, min: 5, max: 5, avg: 5, last: 5 },
    ]);
    // Only the row opened at T + 600 reaches into this range: it began before `from`.
    const late = await store.query(s1(all(T + 900, T + 1500, 300)));
    expect(late.series[0]!.points.map((p) => [p.t, p.last])).toEqual([
      [T + 900, 5],
      [T + 1200, 5],
    ]);
    expect((await store.query(all(T + 1800, T + 2400))).series).toEqual([]);
    const demand = await store.query({ kind: "feature_in_use", filter: { scope: "org" }, from: T, to: T + 1800, step: 600 });
    expect(demand.series[0]!.points.map((p) => [p.t, p.min, p.max])).toEqual([
      [T, 4, 4],
      [T + 600, 6, 6],
      [T + 1200, 6, 6],
    ]);
    await store.close();
  });

  test("an answer larger than MAX_POINTS is refused before anything is read", async () => {
    const store = await (await engine.database()).open("org-a", { clock: { now: T * 1000 } });
    const values: Record<string, number> = {};
    for (let i = 0; i < 30; i++) values[`s${i}/vpc`] = i;
    await store.record(snapshotAt(T, values));
    await expect(store.query(all(T - 10 * DAY, T, 1))).rejects.toBeInstanceOf(TooManyPoints);
    await store.close();
  });

  test("roll-up: a range reaching into rolled-up hours is read in whole hours; pruning past the retention keeps the open rows only", async () => {
    const db = await engine.database();
    let store = await db.open("org-a", { maxGapS: 700, clock: { now: T * 1000 } });
    const snapshots: Snapshot[] = [];
    for (let t = T; t < T + 3 * DAY; t += 600) snapshots.push(snapshotAt(t, { "s1/vpc": (t / 600) % 5 }));
    await recordAll(store, snapshots);
    await store.maintain(T + 10 * DAY);
    expect(await rolledRows(db)).toBeGreaterThan(0);
    expect((await store.query(all(T, T + DAY, 300))).step).toBe(3600);
    expect((await store.query(all(T + 9 * DAY, T + 10 * DAY, 300))).step).toBe(300);
    const hourly = await store.query(all(T, T + DAY, 3600));
    expect(hourly.series[0]!.points.length).toBe(24);
    store = await store.reopen({ retentionS: 5 * DAY });
    await store.maintain(T + 10 * DAY);
    const [counts] = await db.sql('SELECT count(*) AS n, count(*) - count("end") AS open FROM samples');
    // One open row per series: the server feature and its demand in each scope.
    expect(counts).toEqual({ n: 3, open: 3 });
    expect((await store.query(all(T, T + 2 * DAY, 3600))).series).toEqual([]);
    expect((await store.restore())?.collectedAt).toBe(snapshots.at(-1)!.collectedAt);
    await store.close();
  });

  describe("the renewal report", () => {
    const range = { from: T0, to: T0 + 10 * DAY };
    let db: EngineDatabase;
    let store: EngineStore;
    let current: Snapshot;

    test("the simultaneous peak, not the sum of each server's peak; time at capacity; the key's end and overage", async () => {
      db = await engine.database();
      store = await db.open("org-r", { maxGapS: 700, clock: { now: (T0 + 10 * DAY) * 1000 } });
      const snapshots: Snapshot[] = [];
      current = tenDays({ record: (s) => snapshots.push(s) }, 300);
      await recordAll(store, snapshots);
      const report = await store.report({ ...range, filter: {} }, current);
      expect(report.org_name).toBe("org-r");
      expect(report.features.map((r) => r.scope)).toEqual(["org", "virtual_group"]);
      const [org, group] = report.features;
      expect(group).toMatchObject({ virtual_group_id: "vg1", virtual_group_name: "VG one", feature_name: "vpc" });
      expect(org).toMatchObject({ virtual_group_id: null, virtual_group_name: null, feature_name: "vpc" });
      for (const r of report.features) {
        expect(r.peak_in_use).toBe(11);
        expect(r.peak_at).toBe(new Date((T0 + 7 * DAY + 10 * HOUR + 40 * 60) * 1000).toISOString().replace(".000Z", "Z"));
        expect([r.seats, r.utilisation_peak, r.recommended_seats]).toEqual([8, 1.375, 13]);
        // 10:30–12:00 on ten days (10 or 11 in use); never outside it (5 or 6).
        expect(r.time_at_capacity_seconds).toBe(10 * 1.5 * HOUR);
        expect([r.in_use, r.avg_in_use > 0, r.p95_in_use]).toEqual([0, true, 10]);
        expect(r.overage_seats).toBe(3);
        expect(r.expires_at).toBe(new Date((T0 + 40 * DAY) * 1000).toISOString().replace(".000Z", "Z"));
        expect(r.days_to_expiry).toBe(30);
        expect(r.forecast.trend_per_day).toBeGreaterThan(0);
      }
    }, 60_000);

    test("filters: a group's rows only, a feature in both scopes, one scope", async () => {
      const rows = async (filter: object) => (await store.report({ ...range, filter }, current)).features.map((r) => r.scope);
      expect(await rows({ virtual_group_id: "vg1" })).toEqual(["virtual_group"]);
      expect(await rows({ virtual_group_id: "other" })).toEqual([]);
      expect(await rows({ feature_name: "vpc" })).toEqual(["org", "virtual_group"]);
      expect(await rows({ scope: "org" })).toEqual(["org"]);
    });

    test("a restart reads the same report; roll-up keeps peak and time at capacity exact, the peak's time to the hour", async () => {
      const before = await store.report({ ...range, filter: {} }, current);
      // Raw history kept for one day only: nine of the ten days are rolled up.
      store = await store.reopen({ rawRetentionS: DAY });
      expect(await store.report({ ...range, filter: {} }, current)).toEqual(before);
      await store.maintain(T0 + 10 * DAY);
      expect(await rolledRows(db)).toBeGreaterThan(0);
      const after = await store.report({ ...range, filter: {} }, current);
      for (const [i, r] of after.features.entries()) {
        const b = before.features[i]!;
        expect([r.peak_in_use, r.time_at_capacity_seconds, r.seats, r.in_use]).toEqual([
          b.peak_in_use,
          b.time_at_capacity_seconds,
          b.seats,
          b.in_use,
        ]);
        // The peak lay inside one hour, now rolled up: its time is that hour's start.
        expect(Date.parse(r.peak_at)).toBe(Date.parse(b.peak_at) - 40 * 60 * 1000);
        expect(r.avg_in_use).toBeCloseTo(b.avg_in_use, 6);
        expect(r.forecast).toEqual(b.forecast);
      }
      await store.close();
    }, 60_000);
  });

  test("report: no history in the range gives no rows; a range that ended before the snapshot has no overage", async () => {
    const store = await (await engine.database()).open("org-a", { clock: { now: (T0 + DAY) * 1000 } });
    const s = orgAt(T0 + 3600, 4, 4);
    await store.record(s);
    expect((await store.report({ from: T0 - DAY, to: T0, filter: {} }, s)).features).toEqual([]);
    // A range ending "now", in the second the snapshot served now was collected in: its overage is known.
    const now = await store.report({ from: T0, to: T0 + 3700, filter: {} }, { ...s, collectedAt: (T0 + 3700) * 1000 + 999 });
    expect(now.features.map((r) => r.overage_seats)).toEqual([3, 3]);
    const past = await store.report({ from: T0, to: T0 + 3700, filter: {} }, { ...s, collectedAt: (T0 + 7200) * 1000 });
    expect(past.features.map((r) => [r.in_use, r.overage_seats, r.forecast.trend_per_day])).toEqual([
      [8, null, null],
      [8, null, null],
    ]);
    await store.close();
  });
}
