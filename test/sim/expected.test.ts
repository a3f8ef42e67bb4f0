import { describe, expect, test } from "bun:test";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { generateOrg } from "../../src/sim/generate.ts";
import { leaseUnits, type SimModel } from "../../src/sim/model.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import { addTrickyData } from "../../src/sim/tricky.ts";
import { API_KEY, distinctServedLeases, fetchServedOrg, getJson, orgPath, type ServedOrg } from "./helpers.ts";

/** What a minimal correct exporter derives from served data, following the README's lease rules. */
function exporterNumbers(org: ServedOrg) {
  const serverFeatures: Record<string, number> = {};
  const unattributed: Record<string, number> = {};
  for (const { vgId, client, lease } of distinctServedLeases(org)) {
    const servers = org.servers.get(vgId) ?? [];
    const named = client.additionalProperties?.license_server_id;
    const server = named ? servers.find((s) => s.id === named) : servers.length === 1 ? servers[0] : undefined;
    const bucket = server ? serverFeatures : unattributed;
    const key = server ? `${vgId}|${server.id}|${lease.featureName}` : `${vgId}|${lease.featureName}`;
    bucket[key] = (bucket[key] ?? 0) + leaseUnits(lease);
  }
  const entitlements = org.virtualGroups.flatMap((vg) =>
    (vg.entitlements ?? []).flatMap((e) =>
      e.entitlementProductKeys.flatMap((k) =>
        k.entitlementFeatures.map((f) => ({
          key: `${vg.id}|${e.emsEntitlementId}|${k.emsProductKeyId}|${f.featureName}`,
          numbers: [f.totalQuantity, f.inUseQuantity, f.unassignedQuantity],
        })),
      ),
    ),
  );
  const pools = [...org.pools].flatMap(([serverId, list]) =>
    list.flatMap((p) =>
      p.licensePoolFeatures.map((pf) => ({
        key: `${serverId}|${p.id}|${pf.licenseServerFeatureId}`,
        numbers: [pf.totalAllotment, pf.inUse],
      })),
    ),
  );
  return { serverFeatures, unattributed, entitlements, pools };
}

async function compare(sim: Simulator, pageSize: number): Promise<void> {
  const org = await fetchServedOrg(sim, pageSize);
  const got = exporterNumbers(org);
  const exp = sim.expected(pageSize);
  const serverFeatures = Object.fromEntries(
    exp.serverFeatures.filter((f) => f.activeLeases > 0).map((f) => [`${f.vgId}|${f.serverId}|${f.featureName}`, f.activeLeases]),
  );
  expect(got.serverFeatures).toEqual(serverFeatures);
  expect(got.unattributed).toEqual(Object.fromEntries(exp.unattributed.map((u) => [`${u.vgId}|${u.featureName}`, u.activeLeases])));
  expect(got.entitlements).toEqual(
    exp.entitlementFeatures.map((e) => ({
      key: `${e.vgId}|${e.emsEntitlementId}|${e.emsProductKeyId}|${e.featureName}`,
      numbers: [e.total, e.inUse, e.unassigned],
    })),
  );
  expect(got.pools.sort((a, b) => a.key.localeCompare(b.key))).toEqual(
    exp.poolFeatures
      .map((p) => ({ key: `${p.serverId}|${p.poolId}|${p.serverFeatureId}`, numbers: [p.allotment, p.inUse] }))
      .sort((a, b) => a.key.localeCompare(b.key)),
  );
  expect(org.calls).toBe(exp.calls.total);
  expect(sim.stats().total).toBe(exp.calls.total);
}

async function withSim(model: SimModel, fn: (sim: Simulator) => Promise<void>): Promise<void> {
  const sim = startSimulator({ scenario: model, apiKey: API_KEY, seed: 11 });
  try {
    await fn(sim);
  } finally {
    await sim.stop();
  }
}

describe("expected() agrees with what the endpoints serve", () => {
  test("lic-example: known numbers and 1 + V + S + I calls", async () => {
    await withSim(loadScenario("lic-example"), async (sim) => {
      const exp = sim.expected();
      expect(exp.calls).toEqual({ pageSize: 100, virtualGroupPages: 1, licenseServerPages: 2, licensePools: 3, leases: 3, total: 9 });
      expect(exp.leases).toEqual({ distinct: 10, seats: 10, reportedByTwoInstances: 0 });
      const rtx = exp.entitlementFeatures.find((e) => e.emsProductKeyId === "PK-4101-01")!;
      expect([rtx.total, rtx.inUse, rtx.unassigned]).toEqual([40, 3, 0]);
      expect(exp.poolFeatures.find((p) => p.poolName === "render-farm")).toMatchObject({ allotment: 10, inUse: 1 });
      await compare(sim, 100);
    });
  });

  test("lic-example with tricky data: duplicates once, orphans attributed or not, odd counts as 1", async () => {
    const model = loadScenario("lic-example");
    expect(addTrickyData(model)).toEqual([
      "duplicateLease",
      "orphanInSingleServerGroup",
      "orphanInMultiServerGroup",
      "zeroLeaseCount",
      "missingLeaseCount",
    ]);
    await withSim(model, async (sim) => {
      const exp = sim.expected();
      expect(exp.leases).toEqual({ distinct: 14, seats: 14, reportedByTwoInstances: 1 });
      expect(exp.unattributed).toEqual([{ vgId: 4101, featureName: "NVIDIA RTX Virtual Workstation", activeLeases: 1 }]);
      const vfx = exp.serverFeatures.filter((f) => f.serverName === "cls-vfx").reduce((n, f) => n + f.activeLeases, 0);
      expect(vfx).toBe(4);
      // The duplicate really is served twice, by two instances of 4101.
      const ids = async (instance: string) =>
        (await getJson(sim, orgPath(sim, "/4101/leases/all"), { headers: { "x-nv-service-instance-id": instance } })).clients.flatMap(
          (c: { leases: { leaseId: string }[] }) => c.leases.map((l) => l.leaseId),
        );
      const hq = await ids("ae65bb2a-e7e2-5f70-bb4c-b4d3e3bd12ac");
      const east = await ids("1c12855f-6858-5c64-af1f-28322734bf80");
      expect(hq.filter((id: string) => east.includes(id)).length).toBe(1);
      // The multi-server orphan carries neither id, so no attribution rule can place it.
      const orphans = (await fetchServedOrg(sim)).clients
        .get("4101|ae65bb2a-e7e2-5f70-bb4c-b4d3e3bd12ac")!
        .filter((c) => !c.additionalProperties?.license_server_id);
      expect(orphans.map((c) => c.leases[0]!.licenseAllotmentFeatureId)).toEqual([undefined]);
      sim.resetStats();
      await compare(sim, 100);
    });
  });

  test("generated org after churn, walked at page sizes 1 and 100", async () => {
    const model = generateOrg({
      virtualGroups: 4,
      serversPerGroup: 3,
      featuresPerServer: 2,
      leasesPerFeature: 3,
      poolsPerServer: 2,
      seed: 8,
    });
    await withSim(model, async (sim) => {
      sim.tick(30);
      for (const size of [1, 100]) {
        sim.resetStats();
        await compare(sim, size);
      }
      expect(sim.expected(1).calls.total).toBe(4 + 12 + 12 + 12);
      expect(sim.expected(100).calls.total).toBe(1 + 4 + 12 + 12);
    });
  });

  test("the comparison notices a served number that drifted from the lease set", async () => {
    await withSim(loadScenario("lic-example"), async (sim) => {
      sim.model.virtualGroups[1]!.entitlements![0]!.entitlementProductKeys[0]!.entitlementFeatures[0]!.inUseQuantity = 9;
      await expect(compare(sim, 100)).rejects.toThrow();
    });
  });
});
