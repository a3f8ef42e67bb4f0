import { expect, test } from "bun:test";
import type { HistoryQuery } from "../../src/store/query.ts";
import { HOUR } from "../../src/store/rollup.ts";
import { type Engine, type EngineDatabase, type EngineStore, leaseRows } from "./engines.ts";
import { snapshotAt, T0 } from "./helpers.ts";

const T = T0 + 5 * HOUR;
const GAP = 130;
const all = (from: number, to: number, step = 60): HistoryQuery => ({ kind: "active_leases", filter: {}, from, to, step });

/** What recording does to the stored rows and the snapshot, and what a restart finds: tests of `engine`. */
export function writeTests(engine: Engine): void {
  let db: EngineDatabase;
  /** A store of org-a on a fresh database, its clock an hour after T. */
  async function fresh(): Promise<EngineStore> {
    db = await engine.database();
    return db.open("org-a", { maxGapS: GAP, clock: { now: (T + HOUR) * 1000 } });
  }
  const rows = () => leaseRows(db, "org-a");

  test("an unchanged value writes no row; a change closes the open row at the refresh that saw it", async () => {
    const store = await fresh();
    for (let i = 0; i < 5; i++) await store.record(snapshotAt(T + i * 60, { "s1/vpc": 3 }));
    expect(await rows()).toEqual([{ id: 1, start: T, end: null, last: 3, capacity: 10 }]);
    await store.record(snapshotAt(T + 300, { "s1/vpc": 4 }));
    expect(await rows()).toEqual([
      { id: 1, start: T, end: T + 300, last: 3, capacity: 10 },
      { id: 1, start: T + 300, end: null, last: 4, capacity: 10 },
    ]);
    await store.close();
  });

  test("a capacity change starts a new row too", async () => {
    const store = await fresh();
    await store.record(snapshotAt(T, { "s1/vpc": 3 }, 10));
    await store.record(snapshotAt(T + 60, { "s1/vpc": 3 }, 20));
    expect((await rows()).map((r) => [r.start, r.end, r.capacity])).toEqual([
      [T, T + 60, 10],
      [T + 60, null, 20],
    ]);
    await store.close();
  });

  test("refreshes further apart than the gap limit (maxGapS) leave the gap visible", async () => {
    const store = await fresh();
    await store.record(snapshotAt(T, { "s1/vpc": 3 }));
    await store.record(snapshotAt(T + 60, { "s1/vpc": 3 }));
    await store.record(snapshotAt(T + 60 + GAP + 1, { "s1/vpc": 3 }));
    expect((await rows()).map((r) => [r.start, r.end])).toEqual([
      [T, T + 60],
      [T + 61 + GAP, null],
    ]);
    const points = (await store.query(all(T, T + 600))).series[0]!.points;
    // Nothing observed from T + 60 to T + 191: no points for those minutes.
    expect(points.map((p) => p.t)).toEqual([T, T + 180]);
    await store.close();
  });

  test("a series no longer reported ends; one that comes back starts anew", async () => {
    const store = await fresh();
    await store.record(snapshotAt(T, { "s1/vpc": 1, "s2/vpc": 2 }));
    await store.record(snapshotAt(T + 60, { "s1/vpc": 1 }));
    await store.record(snapshotAt(T + 120, { "s1/vpc": 1, "s2/vpc": 2 }));
    await store.record(snapshotAt(T + 180, { "s1/vpc": 1, "s2/vpc": undefined }));
    const got = await rows();
    expect(got.filter((r) => r.id === 2).map((r) => [r.start, r.end])).toEqual([
      [T, T + 60],
      [T + 120, T + 180],
    ]);
    expect(got.filter((r) => r.id === 1)).toHaveLength(1);
    await store.close();
  });

  test("a renamed server keeps its series: labels updated, history continuous", async () => {
    const store = await fresh();
    const before = snapshotAt(T, { "s1/vpc": 2 });
    const after = snapshotAt(T + 60, { "s1/vpc": 2 });
    const label = after.serverFeatures[0]!.labels;
    after.serverFeatures[0] = { ...after.serverFeatures[0]!, labels: { ...label, server_name: "new name" } };
    await store.record(before);
    await store.record(after);
    const answer = await store.query(all(T, T + 300));
    expect(answer.series.map((s) => s.labels.server_name)).toEqual(["new name"]);
    expect(answer.series[0]!.points.length).toBe(2);
    const series = await db.sql("SELECT labels FROM series WHERE kind = 'active_leases'");
    expect(series.map((s) => JSON.parse(String(s.labels)).server_name)).toEqual(["new name"]);
    expect(await rows()).toEqual([{ id: 1, start: T, end: null, last: 2, capacity: 10 }]);
    await store.close();
  });

  test("the same snapshot served again writes nothing; a small step back records only the snapshot", async () => {
    const store = await fresh();
    const s = snapshotAt(T, { "s1/vpc": 1 });
    await store.record(s);
    await store.record({ ...s, up: false });
    expect((await store.restore())?.up).toBe(true);
    await store.record(snapshotAt(T - 60, { "s1/vpc": 9 }));
    expect(await rows()).toEqual([{ id: 1, start: T, end: null, last: 1, capacity: 10 }]);
    expect((await store.restore())?.collectedAt).toBe((T - 60) * 1000);
    expect(store.lines.join("")).not.toContain("the clock went back");
    await store.close();
  });

  test("the clock going back further than a gap drops the rows recorded after the new time, with a log line", async () => {
    const store = await fresh();
    await store.record(snapshotAt(T, { "s1/vpc": 1 }));
    await store.record(snapshotAt(T + 60, { "s1/vpc": 2 }));
    // Refreshes with a clock a day ahead, then the right time again.
    for (let m = 0; m < 3; m++) await store.record(snapshotAt(T + 86_400 + m * 60, { "s1/vpc": 7 + m }));
    await store.record(snapshotAt(T + 120, { "s1/vpc": 3 }));
    await store.record(snapshotAt(T + 180, { "s1/vpc": 3 }));
    // The jump ahead ended the 2 where it was last seen (a gap); the 7, 8 and 9 are gone.
    expect((await rows()).map((r) => [r.start, r.end, r.last])).toEqual([
      [T, T + 60, 1],
      [T + 60, T + 60, 2],
      [T + 120, null, 3],
    ]);
    const points = (await store.query(all(T, T + 2 * 86_400, 3600))).series[0]!.points;
    expect(points.map((p) => [p.t, p.max, p.last])).toEqual([[T, 3, 3]]);
    expect(store.lines.filter((l) => l.includes("the clock went back"))).toHaveLength(1);
    await store.close();
  });

  test("a restart serves the last snapshot and continues the open rows", async () => {
    let store = await fresh();
    expect(await store.restore()).toBeUndefined();
    const last = snapshotAt(T + 60, { "s1/vpc": 3 });
    await store.record(snapshotAt(T, { "s1/vpc": 3 }));
    await store.record(last);
    store = await store.reopen();
    expect(await store.restore()).toEqual(last);
    // The same value a minute later joins the open row: no new row, only observed_until moves.
    await store.record(snapshotAt(T + 120, { "s1/vpc": 3 }));
    expect(await rows()).toEqual([{ id: 1, start: T, end: null, last: 3, capacity: 10 }]);
    const answer = await store.query(all(T, T + 300));
    expect(answer.series[0]?.points.map((p) => p.t)).toEqual([T, T + 60, T + 120]);
    await store.record(snapshotAt(T + 180, { "s1/vpc": 2 }));
    expect((await rows()).map((r) => [r.start, r.end, r.last])).toEqual([
      [T, T + 180, 3],
      [T + 180, null, 2],
    ]);
    await store.close();
  });

  test("a stored snapshot of a layout this version does not know is not restored, with a log line", async () => {
    let store = await fresh();
    await store.record(snapshotAt(T, { "s1/vpc": 1 }));
    await db.sql("UPDATE snapshots SET format = 99");
    expect(await store.restore()).toBeUndefined();
    store = await store.reopen();
    expect(await store.restore()).toBeUndefined();
    expect(store.lines.filter((l) => l.includes("layout 99"))).toHaveLength(2);
    await store.close();
  });

  test("two orgs in one database see only their own history, snapshot and upkeep", async () => {
    const a = await fresh();
    const b = await db.open("org-b", { maxGapS: GAP });
    for (let m = 0; m < 5; m++) {
      await a.record(snapshotAt(T + m * 60, { "s1/vpc": m }));
      await b.record(snapshotAt(T + m * 60, { "s1/vpc": 7, "s2/vpc": 8 }));
    }
    const ofA = await a.query(all(T, T + HOUR));
    const ofB = await b.query(all(T, T + HOUR));
    expect(ofA.series.map((s) => s.points.map((p) => p.last))).toEqual([[0, 1, 2, 3, 4]]);
    expect(ofB.series.map((s) => s.points.map((p) => p.last))).toEqual([
      [7, 7, 7, 7, 7],
      [8, 8, 8, 8, 8],
    ]);
    expect((await a.restore())?.serverFeatures[0]?.active).toBe(4);
    expect((await b.restore())?.serverFeatures[0]?.active).toBe(7);
    // Upkeep of one org leaves the other's progress and rows alone.
    await a.maintain(T + 30 * 86_400);
    expect(await db.sql("SELECT DISTINCT org_name FROM store_state WHERE name = 'rolled_until'")).toEqual([{ org_name: "org-a" }]);
    expect((await b.query(all(T, T + HOUR))).series).toEqual(ofB.series);
    await a.close();
    await b.close();
  });
}
