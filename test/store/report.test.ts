import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createLogger } from "../../src/log.ts";
import { HOUR } from "../../src/store/rollup.ts";
import { HistoryStore } from "../../src/store/store.ts";
import { DAY, ORG, orgAt, T0, tempDir, tenDays } from "./helpers.ts";

const tmp = tempDir();
afterAll(tmp.cleanup);
let n = 0;
function storeAt(path: string, clock: { now: number }, rawRetentionS = 8 * DAY) {
  return new HistoryStore({
    path,
    orgName: ORG,
    maxGapS: 130,
    rawRetentionS,
    retentionS: 400 * DAY,
    now: () => clock.now,
    log: createLogger({ write: () => {} }),
  });
}

describe("HistoryStore.report", () => {
  const clock = { now: (T0 + 10 * DAY) * 1000 };
  const path = join(tmp.dir, `r${++n}.db`);
  const store = storeAt(path, clock);
  const current = tenDays(store);
  const range = { from: T0, to: T0 + 10 * DAY };

  test("the simultaneous peak, not the sum of each server's peak; time at capacity; the key's end and overage", async () => {
    const report = await store.report({ ...range, filter: {} }, current);
    expect(report.org_name).toBe(ORG);
    expect(report.features.map((r) => r.scope)).toEqual(["org", "virtual_group"]);
    const [org, group] = report.features;
    expect(group).toMatchObject({ virtual_group_id: "vg1", virtual_group_name: "VG one", feature_name: "vpc" });
    expect(org).toMatchObject({ virtual_group_id: null, virtual_group_name: null, feature_name: "vpc" });
    for (const r of report.features) {
      expect(r.peak_in_use).toBe(11);
      expect(r.peak_at).toBe(new Date((T0 + 7 * DAY + 10 * HOUR + 40 * 60) * 1000).toISOString().replace(".000Z", "Z"));
      expect(r.seats).toBe(8);
      expect(r.utilisation_peak).toBe(1.375);
      // 10:30–12:00 on ten days (10 or 11 in use); never outside it (5 or 6).
      expect(r.time_at_capacity_seconds).toBe(10 * 1.5 * HOUR);
      expect(r.recommended_seats).toBe(13);
      expect([r.in_use, r.avg_in_use > 0, r.p95_in_use]).toEqual([0, true, 10]);
      expect(r.overage_seats).toBe(3);
      expect(r.expires_at).toBe(new Date((T0 + 40 * DAY) * 1000).toISOString().replace(".000Z", "Z"));
      expect(r.days_to_expiry).toBe(30);
      expect(r.forecast.trend_per_day).toBeGreaterThan(0);
    }
  });

  test("filters: a group's rows only, a feature in both scopes, one scope", async () => {
    const rows = async (filter: object) => (await store.report({ ...range, filter }, current)).features.map((r) => r.scope);
    expect(await rows({ virtual_group_id: "vg1" })).toEqual(["virtual_group"]);
    expect(await rows({ virtual_group_id: "other" })).toEqual([]);
    expect(await rows({ feature_name: "vpc" })).toEqual(["org", "virtual_group"]);
    expect(await rows({ scope: "org" })).toEqual(["org"]);
  });

  test("a restart reads the same report; roll-up keeps peak and time at capacity exact, the peak's time to the hour", async () => {
    const before = await store.report({ ...range, filter: {} }, current);
    store.close();
    // Raw history kept for one day only: nine of the ten days are rolled up.
    const again = storeAt(path, clock, DAY);
    expect(await again.report({ ...range, filter: {} }, current)).toEqual(before);
    while (again.maintain()) {}
    const db = new Database(path, { readonly: true });
    expect(db.query("SELECT count(*) AS c FROM samples WHERE min IS NOT NULL").get()).not.toEqual({ c: 0 });
    db.close();
    const after = await again.report({ ...range, filter: {} }, current);
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
    again.close();
  });
});

test("no history in the range: no rows; a range that ended before the snapshot has no overage", async () => {
  const clock = { now: (T0 + DAY) * 1000 };
  const store = storeAt(join(tmp.dir, `r${++n}.db`), clock);
  const s = orgAt(T0 + 3600, 4, 4);
  store.record(s);
  expect((await store.report({ from: T0 - DAY, to: T0, filter: {} }, s)).features).toEqual([]);
  // A range ending "now", in the second the snapshot served now was collected in: its overage is known.
  const now = await store.report({ from: T0, to: T0 + 3700, filter: {} }, { ...s, collectedAt: (T0 + 3700) * 1000 + 999 });
  expect(now.features.map((r) => r.overage_seats)).toEqual([3, 3]);
  const past = await store.report({ from: T0, to: T0 + 3700, filter: {} }, { ...s, collectedAt: (T0 + 7200) * 1000 });
  expect(past.features.map((r) => [r.in_use, r.overage_seats, r.forecast.trend_per_day])).toEqual([
    [8, null, null],
    [8, null, null],
  ]);
  store.close();
});
