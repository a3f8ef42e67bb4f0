import { describe, expect, test } from "bun:test";
import { createLogger } from "../../src/log.ts";
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

/** The clock and the log of a replica's refresh; its leader counts as silent after 100 s. */
function replicaDeps() {
  const clock = { now: 250_000 };
  const lines: string[] = [];
  return { clock, lines, now: () => clock.now, silentAfterMs: 100_000, log: createLogger({ write: (l) => lines.push(l) }) };
}

describe("sourcedRefresh", () => {
  const fromCls = snapshotAt(500, { "s1/vpc": 4 });

  test("a replica that calls CLS refreshes from CLS and never reads the leader's snapshot", async () => {
    const { source, asked, state } = fakeSource(snapshotAt(100, { "s1/vpc": 1 }));
    state.callsCls = true;
    const { refresh } = sourcedRefresh({ cls: async () => fromCls, source, current: () => undefined, ...replicaDeps() });
    expect(await refresh()).toBe(fromCls);
    expect(asked).toHaveLength(0);
  });

  test("a follower takes the leader's snapshot as stored (its up and time) only when newer than the one served", async () => {
    const leaders = snapshotAt(200, { "s1/vpc": 2 });
    const { source, asked, state } = fakeSource(leaders);
    let served: Snapshot | undefined;
    const { refresh } = sourcedRefresh({ cls: async () => fromCls, source, current: () => served, ...replicaDeps() });
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
    const { refresh, notified, behind } = sourcedRefresh({ cls: async () => fromCls, source, current: () => undefined, ...replicaDeps() });
    notified();
    expect(behind()).toBe(true);
    await refresh();
    expect(behind()).toBe(false);
    await refresh();
    expect(asked.map((a) => a.force)).toEqual([true, false]);
  });

  test("a leader silent for longer than silentAfterMs: the follower refreshes CLS itself until the leader's snapshots arrive again", async () => {
    const leaders = snapshotAt(200, { "s1/vpc": 2 });
    const { source, state } = fakeSource(leaders);
    const deps = replicaDeps();
    let served: Snapshot | undefined;
    let calls = 0;
    const cls = async () => {
      calls++;
      return snapshotAt(deps.clock.now / 1000, { "s1/vpc": 7 });
    };
    const { refresh } = sourcedRefresh({ cls, source, current: () => served, ...deps });
    served = await refresh();
    expect(served).toBe(leaders);
    // Silent: nothing newer than 200 s, and this replica started at 250 s, over 100 s ago.
    deps.clock.now = 350_001;
    served = await refresh();
    expect([calls, served?.collectedAt]).toEqual([1, 350_001]);
    expect(deps.lines.join("\n")).toContain("refreshes CLS itself");
    // The leader back with a newer snapshot: taken, no more CLS calls.
    deps.clock.now = 370_000;
    state.stored = snapshotAt(360, { "s1/vpc": 3 });
    served = await refresh();
    expect([calls, served?.collectedAt]).toEqual([1, 360_000]);
    expect(deps.lines.join("\n")).toContain("the leader's snapshots arrive again");
  });

  test("before the leader stored anything, a follower waits silentAfterMs from its own start before calling CLS", async () => {
    const { source } = fakeSource(undefined);
    const deps = replicaDeps();
    let calls = 0;
    const cls = async () => {
      calls++;
      return fromCls;
    };
    const { refresh } = sourcedRefresh({ cls, source, current: () => undefined, ...deps });
    expect(await refresh()).toBeUndefined();
    deps.clock.now += 100_000;
    expect(await refresh()).toBeUndefined();
    deps.clock.now += 1;
    expect(await refresh()).toBe(fromCls);
    expect(calls).toBe(1);
  });
});
