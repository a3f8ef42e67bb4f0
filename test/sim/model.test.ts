import { describe, expect, test } from "bun:test";
import { tick } from "../../src/sim/churn.ts";
import { expected } from "../../src/sim/expected.ts";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { type GenerateOptions, generateOrg } from "../../src/sim/generate.ts";
import { distinctLeases, type SimModel } from "../../src/sim/model.ts";
import { mulberry32 } from "../../src/sim/random.ts";
import { startSimulator } from "../../src/sim/server.ts";
import { addTrickyData } from "../../src/sim/tricky.ts";
import { API_KEY, checkInvariants, fetchServedOrg, modelView } from "./helpers.ts";

const snapshot = (m: SimModel) =>
  JSON.stringify([m.virtualGroups, [...m.serversByVg], [...m.poolsByServer], [...m.clientsByVg], [...m.assignments]]);

describe("generateOrg", () => {
  const big: GenerateOptions = { virtualGroups: 20, serversPerGroup: 10, featuresPerServer: 5, leasesPerFeature: 10, seed: 42 };

  test("20 x 10 x 5 x 10 has the requested size", () => {
    const m = generateOrg(big);
    expect(m.virtualGroups.length).toBe(20);
    expect([...m.serversByVg.values()].every((s) => s.length === 10)).toBe(true);
    expect([...m.serversByVg.values()].flat().every((s) => s.licenseServerFeatures.length === 5)).toBe(true);
    expect([...distinctLeases(m)].length).toBe(20 * 10 * 5 * 10);
    expect(expected(m).calls.total).toBe(1 + 20 + 200 + 200);
    expect(checkInvariants(modelView(m), m)).toEqual([]);
  });

  test("is deterministic per seed", () => {
    const opts = { virtualGroups: 3, serversPerGroup: 2, featuresPerServer: 3, leasesPerFeature: 4, poolsPerServer: 2 };
    expect(snapshot(generateOrg({ ...opts, seed: 9 }))).toBe(snapshot(generateOrg({ ...opts, seed: 9 })));
    expect(snapshot(generateOrg({ ...opts, seed: 9 }))).not.toBe(snapshot(generateOrg({ ...opts, seed: 10 })));
  });

  test("looks like real CLS data: split product key, future endDate, room above the leases", () => {
    const m = generateOrg({ virtualGroups: 3, serversPerGroup: 2, featuresPerServer: 8, leasesPerFeature: 6, seed: 5 });
    const exp = expected(m);
    for (const vg of m.virtualGroups) {
      const keys = exp.entitlementFeatures.filter((e) => e.vgId === vg.id);
      const names = keys.map((k) => k.featureName);
      expect(new Set(names).size).toBe(8);
      expect(names.length).toBe(9); // one feature over two product keys
      expect(new Set(keys.map((k) => k.emsProductKeyId)).size).toBe(9);
    }
    expect(exp.entitlementFeatures.every((e) => Date.parse(e.endDate!) > Date.now())).toBe(true);
    expect(exp.serverFeatures.every((f) => f.totalQuantity > f.activeLeases && f.activeLeases === 6)).toBe(true);
    expect(new Set(exp.serverFeatures.map((f) => f.featureName)).has("NVIDIA AI Enterprise")).toBe(true);
  });

  test("servers can share service instances", () => {
    const m = generateOrg({
      virtualGroups: 2,
      serversPerGroup: 5,
      featuresPerServer: 1,
      leasesPerFeature: 1,
      instancesPerGroup: 2,
      seed: 1,
    });
    const exp = expected(m);
    expect(exp.virtualGroups.map((v) => v.instances)).toEqual([2, 2]);
    expect(exp.calls.total).toBe(1 + 2 + 10 + 4);
  });
});

describe("churn", () => {
  const cases: [string, () => SimModel][] = [
    ["lic-example", () => loadScenario("lic-example")],
    [
      "lic-example with tricky data",
      () => {
        const m = loadScenario("lic-example");
        addTrickyData(m);
        return m;
      },
    ],
    [
      "generated, 2 pools per server",
      () => generateOrg({ virtualGroups: 4, serversPerGroup: 3, featuresPerServer: 3, leasesPerFeature: 5, poolsPerServer: 2, seed: 2 }),
    ],
  ];
  for (const [name, make] of cases) {
    test(`${name}: invariants hold over 200 ticks and counts move`, () => {
      const model = make();
      const rng = mulberry32(77);
      const counts = new Set<number>();
      for (let i = 0; i < 200; i++) {
        tick(model, rng);
        const errors = checkInvariants(modelView(model), model);
        if (errors.length > 0) throw new Error(`tick ${i}: ${errors.join("; ")}`);
        const ids = [...distinctLeases(model)].map((l) => l.lease.leaseId);
        expect(new Set(ids).size).toBe(ids.length);
        expect(model.assignments.size).toBe(ids.length);
        counts.add(ids.length);
      }
      expect(counts.size).toBeGreaterThan(2);
    });
  }

  test("served data keeps the invariants while churning", async () => {
    const sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: API_KEY, seed: 4 });
    try {
      for (let round = 0; round < 4; round++) {
        sim.tick(50);
        expect(checkInvariants(await fetchServedOrg(sim), sim.model)).toEqual([]);
      }
    } finally {
      await sim.stop();
    }
  });
});
