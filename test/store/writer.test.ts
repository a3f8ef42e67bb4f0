import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { openDatabase } from "../../src/store/db.ts";
import { HistoryWriter } from "../../src/store/writer.ts";
import { ORG, snapshotAt, tempDir } from "./helpers.ts";

const tmp = tempDir();
afterAll(tmp.cleanup);
let n = 0;
const T = 1_800_000_000;
const GAP = 130;

function fresh() {
  const opened = openDatabase(join(tmp.dir, `w${++n}.db`));
  // The server features' rows, numbered 1, 2, … in order of creation: each snapshot also records
  // demand (feature_in_use), which follows them.
  const rows = () =>
    opened.sqlite
      .query(
        "SELECT (SELECT count(*) FROM series s WHERE s.kind = 'active_leases' AND s.id <= series_id) AS id, start, end, last, capacity FROM samples WHERE series_id IN (SELECT id FROM series WHERE kind = 'active_leases') ORDER BY series_id, start",
      )
      .all() as {
      id: number;
      start: number;
      end: number | null;
      last: number;
      capacity: number | null;
    }[];
  return { ...opened, rows, writer: new HistoryWriter(opened.db, ORG, GAP) };
}

describe("HistoryWriter", () => {
  test("an unchanged value writes no row; a change closes the open row at the refresh that saw it", () => {
    const { writer, rows } = fresh();
    for (let i = 0; i < 5; i++) writer.record(snapshotAt(T + i * 60, { "s1/vpc": 3 }));
    expect(rows()).toEqual([{ id: 1, start: T, end: null, last: 3, capacity: 10 }]);
    writer.record(snapshotAt(T + 300, { "s1/vpc": 4 }));
    expect(rows()).toEqual([
      { id: 1, start: T, end: T + 300, last: 3, capacity: 10 },
      { id: 1, start: T + 300, end: null, last: 4, capacity: 10 },
    ]);
  });

  test("a capacity change starts a new row too", () => {
    const { writer, rows } = fresh();
    writer.record(snapshotAt(T, { "s1/vpc": 3 }, 10));
    writer.record(snapshotAt(T + 60, { "s1/vpc": 3 }, 20));
    expect(rows().map((r) => [r.start, r.end, r.capacity])).toEqual([
      [T, T + 60, 10],
      [T + 60, null, 20],
    ]);
  });

  test("refreshes further apart than the gap limit leave the gap visible", () => {
    const { writer, rows } = fresh();
    writer.record(snapshotAt(T, { "s1/vpc": 3 }));
    writer.record(snapshotAt(T + 60, { "s1/vpc": 3 }));
    writer.record(snapshotAt(T + 60 + GAP + 1, { "s1/vpc": 3 }));
    expect(rows().map((r) => [r.start, r.end])).toEqual([
      [T, T + 60],
      [T + 61 + GAP, null],
    ]);
  });

  test("a series no longer reported ends; one that comes back starts anew", () => {
    const { writer, rows } = fresh();
    writer.record(snapshotAt(T, { "s1/vpc": 1, "s2/vpc": 2 }));
    writer.record(snapshotAt(T + 60, { "s1/vpc": 1 }));
    writer.record(snapshotAt(T + 120, { "s1/vpc": 1, "s2/vpc": 2 }));
    writer.record(snapshotAt(T + 180, { "s1/vpc": 1, "s2/vpc": undefined }));
    expect(
      rows()
        .filter((r) => r.id === 2)
        .map((r) => [r.start, r.end]),
    ).toEqual([
      [T, T + 60],
      [T + 120, T + 180],
    ]);
    expect(rows().filter((r) => r.id === 1)).toHaveLength(1);
  });

  test("the same snapshot (a failed refresh serves the previous one) is not recorded twice; a small step back records only the snapshot", () => {
    const { writer, rows, sqlite } = fresh();
    const s = snapshotAt(T, { "s1/vpc": 1 });
    expect(writer.record(s)).toEqual({ written: true, rewoundFrom: undefined });
    expect(writer.record({ ...s, up: false })).toEqual({ written: false });
    expect(writer.record(snapshotAt(T - 60, { "s1/vpc": 9 }))).toEqual({ written: true, rewoundFrom: undefined });
    expect(rows()).toEqual([{ id: 1, start: T, end: null, last: 1, capacity: 10 }]);
    expect(sqlite.query("SELECT collected_at FROM snapshots").get()).toEqual({ collected_at: T - 60 });
  });

  test("after the clock went back further than a gap, history after the new time is dropped and recording goes on", () => {
    const { writer, rows } = fresh();
    writer.record(snapshotAt(T, { "s1/vpc": 1 }));
    writer.record(snapshotAt(T + 60, { "s1/vpc": 2 }));
    // One refresh a year ahead (a wrong clock), then the right time again.
    writer.record(snapshotAt(T + 365 * 86_400, { "s1/vpc": 7 }));
    expect(writer.record(snapshotAt(T + 120, { "s1/vpc": 3 }))).toEqual({ written: true, rewoundFrom: T + 365 * 86_400 });
    writer.record(snapshotAt(T + 180, { "s1/vpc": 3 }));
    // The jump ahead ended the 2 where it was last seen (a gap); the bogus 7 is gone.
    expect(rows().map((r) => [r.start, r.end, r.last])).toEqual([
      [T, T + 60, 1],
      [T + 60, T + 60, 2],
      [T + 120, null, 3],
    ]);
  });

  test("a renamed server keeps its series and its labels follow", () => {
    const { writer, sqlite } = fresh();
    const s = snapshotAt(T, { "s1/vpc": 1 });
    writer.record(s);
    const renamed = {
      ...s,
      collectedAt: (T + 60) * 1000,
      serverFeatures: s.serverFeatures.map((r) => ({ ...r, labels: { ...r.labels, server_name: "renamed" } })),
    };
    writer.record(renamed);
    const all = sqlite.query("SELECT labels FROM series WHERE kind = 'active_leases'").all() as { labels: string }[];
    expect(all).toHaveLength(1);
    expect(JSON.parse(all[0]!.labels).server_name).toBe("renamed");
  });

  test("a new writer on the same file continues the open rows (restart)", () => {
    const { db, writer, rows } = fresh();
    writer.record(snapshotAt(T, { "s1/vpc": 1 }));
    const again = new HistoryWriter(db, ORG, GAP);
    again.record(snapshotAt(T + 60, { "s1/vpc": 1 }));
    again.record(snapshotAt(T + 120, { "s1/vpc": 2 }));
    expect(rows().map((r) => [r.start, r.end, r.last])).toEqual([
      [T, T + 120, 1],
      [T + 120, null, 2],
    ]);
  });

  test("a failed write changes nothing, in the file or in memory, and the next one succeeds", () => {
    const { sqlite, writer, rows } = fresh();
    writer.record(snapshotAt(T, { "s1/vpc": 1 }));
    sqlite.run("PRAGMA query_only = 1");
    expect(() => writer.record(snapshotAt(T + 60, { "s1/vpc": 2, "s2/vpc": 5 }))).toThrow(/readonly/);
    sqlite.run("PRAGMA query_only = 0");
    expect(rows()).toEqual([{ id: 1, start: T, end: null, last: 1, capacity: 10 }]);
    writer.record(snapshotAt(T + 120, { "s1/vpc": 2, "s2/vpc": 5 }));
    expect(rows().map((r) => [r.id, r.start, r.end, r.last])).toEqual([
      [1, T, T + 120, 1],
      [1, T + 120, null, 2],
      [2, T + 120, null, 5],
    ]);
  });

  test("the snapshot itself is stored, one row per org", () => {
    const { writer, sqlite } = fresh();
    writer.record(snapshotAt(T, { "s1/vpc": 1 }));
    writer.record(snapshotAt(T + 60, { "s1/vpc": 2 }));
    const stored = sqlite.query("SELECT org_name, collected_at, body FROM snapshots").all() as {
      org_name: string;
      collected_at: number;
      body: string;
    }[];
    expect(stored).toHaveLength(1);
    expect(stored[0]!.collected_at).toBe(T + 60);
    expect(JSON.parse(stored[0]!.body).serverFeatures[0].active).toBe(2);
  });
});
