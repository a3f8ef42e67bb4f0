import { describe, expect, test } from "bun:test";
import { type SnapshotSource, sourcedRefresh } from "../../src/snapshot/replica.ts";
import type { Snapshot } from "../../src/snapshot/types.ts";
import { snapshotAt } from "../store/helpers.ts";

/** A source whose role and stored snapshot the test sets; it records what it was asked. */
function fakeSource(stored: Snapshot | undefined) {
  const asked: { knownMs: number | undefined; force: boolean }[] = [];
  const state = { callsCls: false, stored };
  const source: SnapshotSource = {
    callsCls: () => state.callsCls,
    leads: () => state.callsCls,
    shared: async (knownMs, force) => {
      asked.push({ knownMs, force });
      return state.stored;
    },
    onAnnounce: () => {},
  };
  return { source, asked, state };
}

describe("sourcedRefresh", () => {
  const fromCls = snapshotAt(500, { "s1/vpc": 4 });

  test("a replica that calls CLS refreshes from CLS and never reads the leader's snapshot", async () => {
    const { source, asked, state } = fakeSource(snapshotAt(100, { "s1/vpc": 1 }));
    state.callsCls = true;
    const { refresh } = sourcedRefresh({ cls: async () => fromCls, source, current: () => undefined });
    expect(await refresh()).toBe(fromCls);
    expect(asked).toHaveLength(0);
  });

  test("a follower takes the leader's snapshot as stored (its up and time) only when newer than the one served", async () => {
    const leaders = snapshotAt(200, { "s1/vpc": 2 });
    const { source, asked, state } = fakeSource(leaders);
    let served: Snapshot | undefined;
    const { refresh } = sourcedRefresh({ cls: async () => fromCls, source, current: () => served });
    expect(await refresh()).toBe(leaders);
    served = leaders;
    expect(await refresh()).toBeUndefined();
    // Served a newer one of its own (it refreshed CLS while cut off): the leader's older one is not taken.
    served = snapshotAt(300, { "s1/vpc": 3 });
    state.stored = snapshotAt(250, { "s1/vpc": 9 });
    expect(await refresh()).toBeUndefined();
    expect(asked.map((a) => a.knownMs)).toEqual([undefined, 200_000, 300_000]);
  });

  test("after a notification the next read is forced, once; behind() says a refresh in flight missed it", async () => {
    const { source, asked } = fakeSource(undefined);
    const { refresh, notified, behind } = sourcedRefresh({ cls: async () => fromCls, source, current: () => undefined });
    notified();
    expect(behind()).toBe(true);
    await refresh();
    expect(behind()).toBe(false);
    await refresh();
    expect(asked.map((a) => a.force)).toEqual([true, false]);
  });
});
