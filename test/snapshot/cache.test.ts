import { describe, expect, test } from "bun:test";
import { SnapshotCache } from "../../src/snapshot/cache.ts";
import type { Snapshot } from "../../src/snapshot/types.ts";
import { FakeTime } from "../fake-time.ts";
import { emptySnapshot } from "./fixture.ts";

const snap = (n: number): Snapshot => emptySnapshot({ collectedAt: n });

/** A refresh whose completion the test controls. */
function controlledRefresh() {
  const calls: Array<(s: Snapshot | Error) => void> = [];
  const refresh = () =>
    new Promise<Snapshot>((resolve, reject) => {
      calls.push((s) => (s instanceof Error ? reject(s) : resolve(s)));
    });
  return { refresh, calls };
}

function setup(ttlMs = 60_000, scrapeTimeoutMs = 20_000) {
  const time = new FakeTime();
  const r = controlledRefresh();
  const errors: unknown[] = [];
  const cache = new SnapshotCache({
    ttlMs,
    scrapeTimeoutMs,
    refresh: r.refresh,
    now: () => time.now,
    timers: time,
    onRefreshError: (e) => errors.push(e),
  });
  return { time, cache, calls: r.calls, errors };
}

describe("SnapshotCache", () => {
  test("a fresh cache makes no call; an expired one refreshes but answers at once with what it has", async () => {
    const { time, cache, calls } = setup();
    const first = cache.get();
    expect(calls).toHaveLength(1);
    calls[0]!(snap(1));
    expect(await first).toEqual(snap(1));
    await time.advance(59_999);
    expect(await cache.get()).toEqual(snap(1));
    expect(calls).toHaveLength(1);
    await time.advance(1);
    expect(await cache.get()).toEqual(snap(1));
    expect(calls).toHaveLength(2);
    calls[1]!(snap(2));
    await Bun.sleep(0);
    expect(await cache.get()).toEqual(snap(2));
    expect(calls).toHaveLength(2);
  });

  test("400 concurrent callers on a stale cache cause one refresh", async () => {
    const { cache, calls } = setup();
    const all = Promise.all(Array.from({ length: 400 }, () => cache.get()));
    expect(calls).toHaveLength(1);
    calls[0]!(snap(7));
    const got = await all;
    expect(got.every((s) => s?.collectedAt === 7)).toBe(true);
  });

  test("with no snapshot a caller waits at most scrapeTimeout, then gets undefined", async () => {
    const { time, cache, calls } = setup(60_000, 5_000);
    let settled: Snapshot | undefined | "pending" = "pending";
    void cache.get().then((s) => (settled = s));
    await time.advance(4_999);
    expect(settled).toBe("pending");
    await time.advance(1);
    expect(settled).toBeUndefined();
    // the refresh itself goes on and later callers get its result
    calls[0]!(snap(3));
    await Bun.sleep(0);
    expect(cache.current()).toEqual(snap(3));
    expect(calls).toHaveLength(1);
  });

  test("a refresh that throws keeps the last snapshot and is not retried before the TTL", async () => {
    const { time, cache, calls, errors } = setup();
    void cache.get();
    calls[0]!(snap(1));
    await Bun.sleep(0);
    await time.advance(60_000);
    void cache.get();
    calls[1]!(new Error("boom"));
    await Bun.sleep(0);
    expect(errors).toHaveLength(1);
    expect(await cache.get()).toEqual({ ...snap(1), up: false });
    await time.advance(30_000);
    await cache.get();
    expect(calls).toHaveLength(2);
  });

  test("background refresh runs every TTL with no caller, and stops", async () => {
    const { time, cache, calls } = setup(10_000);
    cache.start();
    expect(calls).toHaveLength(1);
    calls[0]!(snap(1));
    await Bun.sleep(0);
    await time.advance(9_999);
    expect(calls).toHaveLength(1);
    await time.advance(1);
    expect(calls).toHaveLength(2);
    calls[1]!(snap(2));
    await Bun.sleep(0);
    cache.stop();
    await time.advance(60_000);
    expect(calls).toHaveLength(2);
    expect(time.pending()).toBe(0);
  });

  test("a caller's refresh pushes the next background refresh a full TTL out", async () => {
    const { time, cache, calls } = setup(10_000);
    cache.start();
    calls[0]!(snap(1));
    await Bun.sleep(0);
    await time.advance(10_000);
    calls[1]!(snap(2));
    await Bun.sleep(0);
    await time.advance(5_000);
    await cache.get();
    expect(calls).toHaveLength(2);
  });
});
