import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, renameSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLogger } from "../../src/log.ts";
import { HistoryStore } from "../../src/store/store.ts";
import { ORG, snapshotAt, tempDir } from "./helpers.ts";

const tmp = tempDir();
afterAll(tmp.cleanup);
const T = 1_800_000_000;
let n = 0;

function storeAt(path: string, clock = { now: T * 1000 }) {
  const lines: string[] = [];
  const queued: (() => void)[] = [];
  const store = new HistoryStore({
    path,
    orgName: ORG,
    maxGapS: 130,
    rawRetentionS: 8 * 86_400,
    retentionS: 400 * 86_400,
    now: () => clock.now,
    log: createLogger({ write: (l) => lines.push(l) }),
    timers: { setTimeout: (fn) => queued.push(fn), clearTimeout: () => {} },
  });
  return {
    store,
    lines,
    runQueued: () => {
      for (const fn of queued.splice(0)) fn();
    },
  };
}

const fresh = () => storeAt(join(tmp.dir, `s${++n}.db`));
const lease = (kind = "active_leases" as const) => ({ kind, filter: {}, from: T - 3600, to: T + 3600, step: 60 });

describe("HistoryStore", () => {
  test("a stored snapshot that does not parse is not served, and says why", () => {
    const path = join(tmp.dir, `s${++n}.db`);
    const a = storeAt(path).store;
    a.record(snapshotAt(T, { "s1/vpc": 1 }));
    a.close();
    const { Database } = require("bun:sqlite");
    const db = new Database(path);
    db.run("UPDATE snapshots SET body = '{\"orgName\": 5}'");
    db.close();
    const b = storeAt(path);
    expect(b.store.restore()).toBeUndefined();
    expect(b.lines.join("")).toContain("not serving the stored snapshot");
  });

  test("offer() writes after the current task, never inside it; close() writes what is queued", () => {
    const path = join(tmp.dir, `s${++n}.db`);
    const s = storeAt(path);
    s.store.offer(snapshotAt(T, { "s1/vpc": 1 }));
    expect(s.store.stats.lastWriteAt).toBeUndefined();
    s.runQueued();
    expect(s.store.stats.lastWriteAt).toBe(T * 1000);
    s.store.offer(snapshotAt(T + 60, { "s1/vpc": 2 }));
    s.store.close();
    expect(storeAt(path).store.restore()?.collectedAt).toBe((T + 60) * 1000);
  });

  test("an unusable file: every write counted, one log line, /history refused with the reason", () => {
    const path = join(tmp.dir, `bad${++n}.db`);
    writeFileSync(path, "not a database ".repeat(500));
    const s = storeAt(path);
    for (let i = 0; i < 3; i++) s.store.record(snapshotAt(T + i * 60, { "s1/vpc": i }));
    expect(s.store.stats.writeErrors.get("corrupt")).toBe(3);
    expect(s.store.unavailable()?.reason).toBe("corrupt");
    expect(s.store.query(lease())).rejects.toThrow(/not a database/);
    expect(s.lines.filter((l) => l.includes("history not recorded"))).toHaveLength(1);
    expect(s.store.restore()).toBeUndefined();
  });

  test("a cause that can pass is retried on the next write, and recovery is logged", async () => {
    const dir = join(tmp.dir, `later${++n}`);
    writeFileSync(dir, "a file where the folder should be");
    const s = storeAt(join(dir, "h.db"));
    s.store.record(snapshotAt(T, { "s1/vpc": 1 }));
    expect(s.store.unavailable()?.reason).toBe("cannot_open");
    rmSync(dir);
    mkdirSync(dir);
    s.store.record(snapshotAt(T + 60, { "s1/vpc": 2 }));
    expect(s.store.unavailable()).toBeUndefined();
    expect(s.lines.join("")).toContain("history writes recovered");
    expect((await s.store.query(lease())).series[0]!.points.at(-1)!.last).toBe(2);
  });

  test("write failures at run time are counted by reason and end with the first good write", async () => {
    const s = fresh();
    s.store.record(snapshotAt(T, { "s1/vpc": 1 }));
    const sqlite = (s.store as unknown as { parts: { sqlite: { run(q: string): void } } }).parts.sqlite;
    sqlite.run("PRAGMA query_only = 1");
    s.store.record(snapshotAt(T + 60, { "s1/vpc": 2 }));
    s.store.record(snapshotAt(T + 120, { "s1/vpc": 3 }));
    expect(s.store.stats.writeErrors.get("readonly")).toBe(2);
    expect(s.store.unavailable()?.reason).toBe("readonly");
    sqlite.run("PRAGMA query_only = 0");
    s.store.record(snapshotAt(T + 180, { "s1/vpc": 4 }));
    expect(s.store.unavailable()).toBeUndefined();
    // The two refreshes that could not be written stay a gap in the history.
    const points = (await s.store.query({ ...lease(), step: 60 })).series[0]!.points;
    expect(points.map((p) => [p.t - T, p.last])).toEqual([
      [0, 1],
      [180, 4],
    ]);
  });

  test("a database damaged by hand is refused as corrupt; refusing leaks no file descriptors", () => {
    const path = join(tmp.dir, `dropped${++n}.db`);
    storeAt(path).store.close();
    const { Database } = require("bun:sqlite");
    const db = new Database(path);
    db.run("DROP TABLE series");
    db.close();
    const s = storeAt(path);
    const fds = () => readdirSync("/proc/self/fd").length;
    s.store.record(snapshotAt(T, { "s1/vpc": 1 }));
    const before = fds();
    for (let i = 1; i <= 20; i++) {
      s.store.record(snapshotAt(T + i * 60, { "s1/vpc": 1 }));
      // Touching the file makes the store try it again, as if someone were repairing it.
      writeFileSync(`${path}.touch`, String(i));
      utimesSync(path, new Date(), new Date(Date.now() + i * 1000));
    }
    expect(s.store.stats.writeErrors.get("corrupt")).toBe(21);
    expect(fds()).toBeLessThanOrEqual(before);
  });

  test("a file refused for good is tried again once it was moved aside, and a new one is created", () => {
    const path = join(tmp.dir, `moved${++n}.db`);
    writeFileSync(path, "not a database ".repeat(500));
    const s = storeAt(path);
    s.store.record(snapshotAt(T, { "s1/vpc": 1 }));
    expect(s.store.unavailable()?.reason).toBe("corrupt");
    renameSync(path, `${path}.broken`);
    s.store.record(snapshotAt(T + 60, { "s1/vpc": 2 }));
    expect(s.store.unavailable()).toBeUndefined();
    expect(s.lines.join("")).toContain("history writes recovered");
  });

  test("releaseMemory() between writes changes nothing recorded; after close() it does nothing", async () => {
    const { store } = fresh();
    store.record(snapshotAt(T, { "s1/vpc": 1 }));
    store.releaseMemory();
    store.record(snapshotAt(T + 60, { "s1/vpc": 2 }));
    store.releaseMemory();
    const answer = await store.query(lease());
    expect(answer.series[0]!.points.map((p) => p.last)).toEqual([1, 2]);
    expect(store.stats.writeErrors.size).toBe(0);
    store.close();
    expect(() => store.releaseMemory()).not.toThrow();
  });

  test("a snapshot served again writes nothing and does not count as a recovery", () => {
    const s = fresh();
    const snap = snapshotAt(T, { "s1/vpc": 1 });
    s.store.record(snap);
    const at = s.store.stats.lastWriteAt;
    s.store.record({ ...snap, up: false });
    expect(s.store.stats.lastWriteAt).toBe(at);
  });
});
