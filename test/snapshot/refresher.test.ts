import { expect, test } from "bun:test";
import type { ClsClient } from "../../src/cls/client.ts";
import { silentLogger } from "../../src/log.ts";
import { createRefresher, newStats } from "../../src/snapshot/refresher.ts";
import type { Snapshot } from "../../src/snapshot/types.ts";

const emptyOrg: ClsClient = {
  listVirtualGroups: async () => [],
  listLicenseServers: async () => [],
  listLicensePools: async () => [],
  listLeases: async () => [],
};

/** The refresher and a weak reference to the restored snapshot it was given, made out of the test's frame. */
function refresherWithRestored() {
  const initial: Snapshot = {
    orgName: "o",
    collectedAt: 1,
    durationMs: 1,
    up: false,
    entitlements: [],
    servers: [],
    serverFeatures: [],
    pools: [],
    unattributed: [],
    invalidItems: [],
    failures: [],
  };
  const refresh = createRefresher({
    client: emptyOrg,
    invalid: new Map(),
    stats: newStats(),
    orgName: "o",
    parallelism: 2,
    timeoutMs: 1_000,
    now: Date.now,
    log: silentLogger,
    initial,
  });
  return { refresh, restored: new WeakRef(initial) };
}

test("a snapshot restored from disk is released once the first refresh replaced it", async () => {
  const { refresh, restored } = refresherWithRestored();
  const fresh = await refresh();
  expect(fresh.up).toBe(true);
  await Bun.sleep(0);
  Bun.gc(true);
  expect(restored.deref()).toBeUndefined();
  expect(await refresh()).not.toBe(fresh);
});
