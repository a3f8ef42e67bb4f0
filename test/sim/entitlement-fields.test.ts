/**
 * The documented entitlement fields the simulator serves: varied date shapes that all mean the
 * instants written here, an overage in progress and a renewed key pair, in the fixture and in
 * generated orgs, and in /_sim/expected.
 */
import { describe, expect, test } from "bun:test";
import { createClient, type InvalidCounts, type InvalidReasons } from "../../src/cls/client.ts";
import { DEFAULT_CLS_LIMITS } from "../../src/cls/limits.ts";
import { expected } from "../../src/sim/expected.ts";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { generateOrg } from "../../src/sim/generate.ts";
import { startSimulator } from "../../src/sim/server.ts";

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

describe("the bad-dates drift", () => {
  test("every date of the first group is in an unknown shape: the client reads them absent and counts bad_date", async () => {
    const sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: "k", port: 0 });
    try {
      sim.setFaults([{ endpoint: "virtual_groups", drift: "bad-dates" }]);
      const res = await fetch(`${sim.url}/v1/org/lic-example/virtual-groups?detailedView=true`, { headers: { "x-api-key": "k" } });
      const body = (await res.json()) as unknown;
      const invalid: InvalidCounts = new Map();
      const invalidReasons: InvalidReasons = new Map();
      const client = createClient(async () => body, {
        orgName: "lic-example",
        serviceInstanceId: undefined,
        invalid,
        invalidReasons,
        limits: DEFAULT_CLS_LIMITS,
      });
      const [first, second] = await client.list(
        "virtual_groups",
        {},
        { signal: new AbortController().signal, deadline: Number.POSITIVE_INFINITY },
      );
      expect(first!.entitlements.map((f) => [f.startDate, f.endDate, f.overageStartTime])).toEqual(
        first!.entitlements.map(() => [undefined, undefined, undefined]),
      );
      expect(second!.entitlements.every((f) => f.endDate !== undefined)).toBe(true);
      expect([...invalid]).toEqual([["virtual_groups", first!.entitlements.length]]);
      expect(Object.fromEntries(invalidReasons.get("virtual_groups") ?? [])).toEqual({ bad_date: first!.entitlements.length });
    } finally {
      await sim.stop();
    }
  });
});
