import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { openDatabase } from "../../src/store/db.ts";
import type { HistoryQuery } from "../../src/store/query.ts";
import { HistoryReader } from "../../src/store/reader.ts";
import { HOUR, Retention } from "../../src/store/rollup.ts";
import { HistoryWriter } from "../../src/store/writer.ts";
import { ORG, snapshotAt, tempDir } from "./helpers.ts";

const tmp = tempDir();
afterAll(tmp.cleanup);
let n = 0;
const T0 = 1_800_000_000 - (1_800_000_000 % HOUR);
const DAY = 86_400;

/** Two days of 60 s refreshes for three series: one busy, one constant, one that vanishes for a while. */
function filled() {
  const { db, sqlite } = openDatabase(join(tmp.dir, `r${++n}.db`));
  const writer = new HistoryWriter(db, ORG, 130);
  let seed = 7;
  const rnd = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  let busy = 5;
  for (let t = T0; t < T0 + 2 * DAY; t += 60) {
    if (rnd() < 0.3) busy = Math.max(0, busy + (rnd() < 0.5 ? -1 : 1));
    const away = t > T0 + 5 * HOUR && t < T0 + 9 * HOUR;
    // An exporter outage of 20 minutes: nothing recorded.
    if (t > T0 + 30 * HOUR && t < T0 + 30 * HOUR + 1200) continue;
    writer.record(snapshotAt(t, { "s1/vpc": busy, "s2/vpc": 3, "s3/vpc": away ? undefined : Math.floor(t / 5000) % 4 }));
  }
  const count = () => (sqlite.query("SELECT count(*) AS c FROM samples").get() as { c: number }).c;
  const reader = new HistoryReader(db, ORG);
  const query = (q: HistoryQuery) => reader.series(q).flatMap((s) => reader.read(s, q, reader.observedUntil()) ?? []);
  return { db, sqlite, query, count };
}

const retention = (db: ReturnType<typeof filled>["db"], batch = 200, rawRetentionS = DAY, retentionS = 30 * DAY) =>
  new Retention(db, { orgName: ORG, rawRetentionS, retentionS, maxGapS: 130, batch });

function runAll(r: Retention, nowS: number): number {
  let steps = 1;
  while (r.step(nowS)) if (++steps > 10_000) throw new Error("maintenance never finished");
  return steps;
}

describe("Retention", () => {
  test("rolling up changes no hourly (or coarser) answer, and shrinks the table", () => {
    const f = filled();
    const q = (step: number) => f.query({ kind: "active_leases", filter: {}, from: T0, to: T0 + 2 * DAY, step });
    const before = [HOUR, 2 * HOUR, DAY].map(q);
    const rowsBefore = f.count();
    const r = retention(f.db);
    runAll(r, T0 + 2 * DAY + 60);
    expect(r.rolledUntil()).toBe(T0 + DAY);
    expect(f.count()).toBeLessThan(rowsBefore);
    const after = [HOUR, 2 * HOUR, DAY].map(q);
    for (let i = 0; i < after.length; i++) {
      expect(after[i]!.map((s) => s.points.map((p) => ({ ...p, avg: Math.round(p.avg * 1e9) })))).toEqual(
        before[i]!.map((s) => s.points.map((p) => ({ ...p, avg: Math.round(p.avg * 1e9) }))),
      );
    }
  });

  test("steps are small batches of series and repeat harmlessly", () => {
    const a = filled();
    const b = filled();
    const now = T0 + 2 * DAY + 60;
    const small = runAll(retention(a.db, 1), now);
    const large = runAll(retention(b.db, 200), now);
    expect(small).toBeGreaterThan(large);
    expect(a.count()).toBe(b.count());
    const rows = a.sqlite.query("SELECT * FROM samples ORDER BY series_id, start").all();
    runAll(retention(a.db, 1), now);
    expect(a.sqlite.query("SELECT * FROM samples ORDER BY series_id, start").all()).toEqual(rows);
  });

  test("open rows and rows a refresh may still join are never rolled up", () => {
    const f = filled();
    const open = f.sqlite.query("SELECT * FROM samples WHERE end IS NULL ORDER BY series_id").all();
    runAll(retention(f.db, 200, HOUR), T0 + 2 * DAY + 60);
    expect(f.sqlite.query("SELECT * FROM samples WHERE end IS NULL ORDER BY series_id").all()).toEqual(open);
  });

  test("rows that ended before the retention are deleted, the current ones kept", () => {
    const f = filled();
    runAll(retention(f.db, 200, HOUR, 12 * HOUR), T0 + 2 * DAY + 60);
    const oldest = (f.sqlite.query("SELECT min(end) AS e FROM samples WHERE end IS NOT NULL").get() as { e: number }).e;
    expect(oldest).toBeGreaterThanOrEqual(T0 + 2 * DAY + 60 - 12 * HOUR);
    expect(f.query({ kind: "active_leases", filter: {}, from: T0 + 2 * DAY - 600, to: T0 + 2 * DAY, step: 60 })).toHaveLength(3);
  });
});
