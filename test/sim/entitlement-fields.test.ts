/**
 * The documented entitlement fields the simulator serves: varied date shapes that all mean the
 * instants written here, an overage in progress and a renewed key pair, in the fixture and in
 * generated orgs, and in /_sim/expected.
 */
import { describe, expect, test } from "bun:test";
import { expected } from "../../src/sim/expected.ts";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { generateOrg } from "../../src/sim/generate.ts";

const START = Date.UTC(2025, 0, 1) / 1000;
const END = Date.UTC(2027, 11, 31, 23, 59, 59) / 1000;

describe("lic-example", () => {
  const exp = expected(loadScenario("lic-example"));
  const byKey = new Map(exp.entitlementFeatures.map((f) => [f.emsProductKeyId, f]));

  test("dates in every shape mean the same instants", () => {
    const original = exp.entitlementFeatures.filter((f) => f.emsProductKeyId !== "PK-4102-03");
    expect(original.map((f) => [f.start, f.end])).toEqual(original.map(() => [START, END]));
  });

  test("an overage in progress on the AI Enterprise key of the default group", () => {
    const f = byKey.get("PK-4101-03")!;
    expect([f.overagePercent, f.overageAvailable, f.overageStart, f.overageDuration]).toEqual([25, 4, Date.UTC(2026, 10, 1, 7) / 1000, 30]);
    expect(exp.entitlementFeatures.filter((e) => e.overageStart !== null)).toHaveLength(1);
  });

  test("a renewed key pair: PK-4102-03 renews PK-4102-01, same feature, later dates", () => {
    const renewal = byKey.get("PK-4102-03")!;
    expect([renewal.renewedEmsProductKeyId, renewal.saleType, renewal.movableAcrossVg, renewal.featureName]).toEqual([
      "PK-4102-01",
      "RENEWAL",
      false,
      byKey.get("PK-4102-01")!.featureName,
    ]);
    expect([renewal.start, renewal.end]).toEqual([Date.UTC(2027, 11, 1) / 1000, Date.UTC(2030, 11, 31, 23, 59, 59) / 1000]);
  });
});

describe("generated orgs", () => {
  const model = generateOrg({ virtualGroups: 6, serversPerGroup: 2, featuresPerServer: 3, leasesPerFeature: 2, seed: 4 });
  const exp = expected(model);

  test("every start date shape reads as 2025-01-01, and several shapes are served", () => {
    expect(new Set(exp.entitlementFeatures.map((f) => f.start))).toEqual(new Set([START]));
    const served = model.virtualGroups.flatMap((vg) =>
      (vg.entitlements ?? []).flatMap((e) => e.entitlementProductKeys.flatMap((k) => k.entitlementFeatures.map((f) => f.startDate))),
    );
    expect(new Set(served).size).toBeGreaterThanOrEqual(5);
  });

  test("renewed pairs in every other group, overages in every third", () => {
    const groups = new Set(exp.virtualGroups.map((g) => g.vgId));
    const renewing = new Set(exp.entitlementFeatures.filter((f) => f.renewedEmsProductKeyId !== null).map((f) => f.vgId));
    const overage = new Set(exp.entitlementFeatures.filter((f) => f.overageStart !== null).map((f) => f.vgId));
    expect([...renewing].sort()).toEqual([...groups].filter((id) => id % 2 === 0).sort());
    expect([...overage].sort()).toEqual([...groups].filter((id) => id % 3 === 0).sort());
    for (const f of exp.entitlementFeatures.filter((e) => e.renewedEmsProductKeyId !== null))
      expect(exp.entitlementFeatures.some((o) => o.emsProductKeyId === f.renewedEmsProductKeyId && o.featureName === f.featureName)).toBe(
        true,
      );
  });
});
