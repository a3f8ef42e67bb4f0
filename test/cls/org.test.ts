import { afterEach, describe, expect, test } from "bun:test";
import { fetchOrg } from "../../src/cls/org.ts";
import { silentLogger } from "../../src/log.ts";
import type { Expected } from "../../src/sim/expected.ts";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { generateOrg } from "../../src/sim/generate.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import { addTrickyData } from "../../src/sim/tricky.ts";
import { buildSnapshot } from "../../src/snapshot/build.ts";
import { createRefresher, newStats } from "../../src/snapshot/refresher.ts";
import type { Snapshot } from "../../src/snapshot/types.ts";
import { clientFor, KEY } from "./harness.ts";

let sim: Simulator;
afterEach(() => sim?.stop());

const opts = { parallelism: 8, timeoutMs: 10_000, now: Date.now };
const meta = { collectedAt: 0, durationMs: 0, failures: [], invalidItems: [] };

/** The snapshot's numbers in the simulator's terms, to compare with expected(). */
function numbers(s: Snapshot) {
  return {
    features: s.serverFeatures.map((r) => [r.labels.server_id, r.labels.feature_name, r.total, r.active]).sort(),
    unattributed: s.unattributed.map((r) => [r.labels.virtual_group_id, r.labels.feature_name, r.count]).sort(),
    entitlements: s.entitlements.map((r) => [r.labels.ems_product_key_id, r.labels.feature_name, r.total, r.inUse, r.unassigned]).sort(),
    pools: s.pools.map((r) => [r.labels.pool_id, r.labels.feature_name, r.allotment, r.inUse]).sort(),
  };
}
function truth(e: Expected) {
  return {
    features: e.serverFeatures.map((f) => [f.serverId, f.featureName, f.totalQuantity, f.activeLeases]).sort(),
    unattributed: e.unattributed.map((u) => [String(u.vgId), u.featureName, u.activeLeases]).sort(),
    entitlements: e.entitlementFeatures.map((f) => [f.emsProductKeyId, f.featureName, f.total, f.inUse, f.unassigned]).sort(),
    pools: e.poolFeatures.map((p) => [p.poolId, p.featureName, p.allotment, p.inUse]).sort(),
  };
}

describe("a whole refresh against the simulator", () => {
  test.each([false, true])("lic-example with duplicates, orphans and odd counts (compressed: %p)", async (compressedLeases) => {
    const scenario = loadScenario("lic-example");
    expect(addTrickyData(scenario)).toHaveLength(5);
    sim = startSimulator({ scenario, apiKey: KEY, compressedLeases });
    const { data, failures } = await fetchOrg(clientFor(sim).client, undefined, opts);
    expect(failures).toEqual([]);
    expect(numbers(buildSnapshot(data, meta))).toEqual(truth(sim.expected()));
    expect(sim.stats().total).toBe(sim.expected().calls.total);
  });

  test("a large org after churn, in the minimum number of calls, never more than PARALLELISM at once", async () => {
    sim = startSimulator({
      scenario: generateOrg({ virtualGroups: 6, serversPerGroup: 5, featuresPerServer: 3, leasesPerFeature: 4, seed: 9 }),
      apiKey: KEY,
      latencyMs: 5,
    });
    sim.tick(50);
    const { data } = await fetchOrg(clientFor(sim).client, undefined, { ...opts, parallelism: 4 });
    expect(numbers(buildSnapshot(data, meta))).toEqual(truth(sim.expected()));
    expect(sim.stats().total).toBe(sim.expected().calls.total);
    expect(sim.stats().inFlightPeak).toBeLessThanOrEqual(4);
    expect(sim.stats().inFlightPeak).toBeGreaterThan(1);
  });
});

describe("partial failure keeps the last good data of the failed part only", () => {
  test("one group's leases fail: its counts stay, the other group's move", async () => {
    sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: KEY });
    const { client } = clientFor(sim);
    const first = await fetchOrg(client, undefined, opts);
    const before = numbers(buildSnapshot(first.data, meta)).features;
    sim.tick(40);
    sim.setFaults([{ endpoint: "leases", vgId: 4101, status: 500 }]);
    const second = await fetchOrg(client, first.data, opts);
    expect(second.failures.map((f) => [f.endpoint, f.reason, f.stale])).toEqual([
      ["leases", "5xx", true],
      ["leases", "5xx", true],
    ]);
    const after = numbers(buildSnapshot(second.data, meta)).features;
    const want = truth(sim.expected()).features;
    for (const row of after) {
      const serverOf4101 = first.data.license_servers.get("4101")!.some((s) => s.id === row[0]);
      expect(row).toEqual(
        serverOf4101 ? before.find((b) => b[0] === row[0] && b[1] === row[1])! : want.find((w) => w[0] === row[0] && w[1] === row[1])!,
      );
    }
  });

  test("the group list fails: the previous list is used and everything below is refreshed", async () => {
    sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: KEY });
    const { client } = clientFor(sim);
    const first = await fetchOrg(client, undefined, opts);
    sim.tick(40);
    sim.setFaults([{ endpoint: "virtual_groups", status: 503 }]);
    const second = await fetchOrg(client, first.data, opts);
    expect(second.failures.map((f) => f.endpoint)).toEqual(["virtual_groups"]);
    expect(numbers(buildSnapshot(second.data, meta)).features).toEqual(truth(sim.expected()).features);
  });

  test("with no previous data a failed part is simply absent", async () => {
    sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: KEY });
    sim.setFaults([{ endpoint: "license_servers", vgId: 4102, status: 404 }]);
    const { data, failures } = await fetchOrg(clientFor(sim).client, undefined, opts);
    expect(failures).toEqual([expect.objectContaining({ endpoint: "license_servers", reason: "404", stale: false })]);
    expect([...data.license_servers.keys()]).toEqual(["4101"]);
  });
});

describe("refresher", () => {
  test("total failure serves the previous snapshot unchanged with up = 0, and counts errors", async () => {
    sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: KEY });
    const stats = newStats();
    let clock = 1_000;
    const { client, invalid } = clientFor(sim, { stats });
    const refresh = createRefresher({
      client,
      invalid,
      stats,
      parallelism: 8,
      timeoutMs: 5_000,
      now: () => clock,
      log: silentLogger,
    });
    const good = await refresh();
    expect(good.up).toBe(true);
    expect(stats.lastSuccessAt).toBe(1_000);
    clock = 2_000;
    sim.setFaults([
      { endpoint: "virtual_groups", status: 503 },
      { endpoint: "license_servers", status: 503 },
      { endpoint: "license_pools", status: 503 },
      { endpoint: "leases", status: 503 },
    ]);
    const bad = await refresh();
    expect(bad.up).toBe(false);
    expect(bad.collectedAt).toBe(good.collectedAt);
    expect(bad.serverFeatures).toEqual(good.serverFeatures);
    expect(stats.lastSuccessAt).toBe(1_000);
    expect(stats.refreshErrors.get("virtual_groups\n5xx")).toBe(1);
    expect(stats.refreshErrors.get("license_servers\n5xx")).toBe(2);
  });

  test.each(["401", "403", "404"])(
    "%s to the org-level call ends the refresh there: one call, the previous snapshot served with up = 0",
    async (status) => {
      sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: KEY });
      const stats = newStats();
      const { client, invalid } = clientFor(sim, { stats });
      const refresh = createRefresher({
        client,
        invalid,
        stats,
        parallelism: 8,
        timeoutMs: 5_000,
        now: () => 1_000,
        log: silentLogger,
      });
      const good = await refresh();
      sim.setFaults([{ endpoint: "virtual_groups", status: Number(status) }]);
      const bad = await refresh();
      expect(bad.up).toBe(false);
      expect(bad.serverFeatures).toEqual(good.serverFeatures);
      expect(stats.lastCalls).toBe(1);
      expect([...stats.refreshErrors]).toEqual([[`virtual_groups\n${status}`, 1]]);
    },
  );
});
