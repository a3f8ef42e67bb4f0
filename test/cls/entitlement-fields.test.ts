/**
 * Every documented field of entitlement features and product keys through the client (a scripted
 * HttpGet, no HTTP): read, typed, carried into the feature rows; a bad one counted under its reason.
 */
import { expect, test } from "bun:test";
import { createClient, type InvalidCounts, type InvalidReasons } from "../../src/cls/client.ts";
import { DEFAULT_CLS_LIMITS } from "../../src/cls/limits.ts";

const budget = { signal: new AbortController().signal, deadline: Number.POSITIVE_INFINITY };

async function groupsOf(productKeys: unknown[]) {
  const invalid: InvalidCounts = new Map();
  const invalidReasons: InvalidReasons = new Map();
  const client = createClient(
    async () => ({
      virtualGroups: [{ id: 7, name: "vg", entitlements: [{ emsEntitlementId: "E", entitlementProductKeys: productKeys }] }],
    }),
    {
      orgName: "o",
      serviceInstanceId: undefined,
      invalid,
      invalidReasons,
      limits: DEFAULT_CLS_LIMITS,
    },
  );
  const [vg] = await client.list("virtual_groups", {}, budget);
  return { features: vg!.entitlements, invalid: [...invalid], reasons: Object.fromEntries(invalidReasons.get("virtual_groups") ?? []) };
}

const feature = {
  id: "f",
  featureName: "vWS",
  featureVersion: "1.0",
  productName: "RTX vWS",
  productFamily: "vGPU",
  productVersion: "17.0",
  licenseType: "CONCURRENT",
  startDate: "2025-01-01",
  endDate: "2027-12-31T23:59:59Z",
  totalQuantity: 72,
  inUseQuantity: 70,
  unassignedQuantity: 2,
  overagePercent: 10,
  availableOverageQuantity: "7",
  overageStartTime: 1_764_547_200_000,
  overageDuration: 30,
};

test("every documented feature and product-key field is read and carried into the feature row", async () => {
  const { features, invalid } = await groupsOf([
    {
      emsProductKeyId: "K2",
      saleType: "RENEWAL",
      renewedEmsProductKeyId: "K1",
      isMovableAcrossVG: "false",
      entitlementFeatures: [feature],
    },
  ]);
  expect(invalid).toEqual([]);
  expect(features).toEqual([
    {
      featureName: "vWS",
      featureVersion: "1.0",
      productName: "RTX vWS",
      productFamily: "vGPU",
      productVersion: "17.0",
      licenseType: "CONCURRENT",
      startDate: Date.UTC(2025, 0, 1) / 1000,
      endDate: Date.UTC(2027, 11, 31, 23, 59, 59) / 1000,
      totalQuantity: 72,
      inUseQuantity: 70,
      unassignedQuantity: 2,
      overagePercent: 10,
      availableOverageQuantity: 7,
      overageStartTime: 1_764_547_200,
      overageDuration: 30,
      emsEntitlementId: "E",
      emsProductKeyId: "K2",
      saleType: "RENEWAL",
      renewedEmsProductKeyId: "K1",
      isMovableAcrossVG: false,
    },
  ]);
});

test("a date in no known shape is read as absent and counted as bad_date; the item is kept", async () => {
  const { features, invalid, reasons } = await groupsOf([
    {
      emsProductKeyId: "K",
      entitlementFeatures: [
        { ...feature, endDate: "31/12/2027", overageStartTime: "soon" },
        { ...feature, startDate: {} },
      ],
    },
  ]);
  expect(features.map((f) => [f.startDate, f.endDate, f.overageStartTime])).toEqual([
    [Date.UTC(2025, 0, 1) / 1000, undefined, undefined],
    [undefined, Date.UTC(2027, 11, 31, 23, 59, 59) / 1000, 1_764_547_200],
  ]);
  expect(invalid).toEqual([["virtual_groups", 2]]);
  expect(reasons).toEqual({ bad_date: 2 });
});

test("isMovableAcrossVG other than a boolean or its string is of the wrong type; the key and its features are kept", async () => {
  const { features, reasons } = await groupsOf([{ emsProductKeyId: "K", isMovableAcrossVG: "yes", entitlementFeatures: [feature] }]);
  expect(features.map((f) => [f.emsProductKeyId, f.isMovableAcrossVG])).toEqual([["K", undefined]]);
  expect(reasons).toEqual({ wrong_type: 1 });
});
