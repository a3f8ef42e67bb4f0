import type { RawLease } from "../../src/cls/client.ts";
import { ORG_KEY } from "../../src/cls/endpoints.ts";
import { emptyOrg, type OrgData } from "../../src/cls/org.ts";
import type { BuildMeta } from "../../src/snapshot/build.ts";
import type { EntitlementRow, Snapshot } from "../../src/snapshot/types.ts";

/** A refresh with a row of every family and a number in every field, a failure and an unreadable item. */
export const EVERY_FIELD_META: BuildMeta = {
  collectedAt: 1_764_400_000_000,
  durationMs: 812,
  failures: [{ endpoint: "license_pools", reason: "5xx", status: 503, message: "CLS answered 503", stale: true }],
  invalidItems: [["leases", 1]],
  invalidReasons: [["leases", "too_long", 1]],
};

const lease = (leaseId: string, featureName: string, licenseAllotmentFeatureId: string | undefined): RawLease => ({
  leaseId,
  featureName,
  leaseCount: 1,
  licenseAllotmentFeatureId,
  serverId: undefined,
  serverName: undefined,
});

/** Two servers in one group, so a lease that names no feature id stays unattributed. */
export function everyFamilyOrg(): OrgData {
  const data = emptyOrg();
  const entitlement = {
    emsEntitlementId: "E1",
    emsProductKeyId: "PK-1",
    featureName: "vPC",
    featureVersion: "1.0",
    productName: "vPC",
    productFamily: "vGPU",
    productVersion: "17.0",
    licenseType: "CONCURRENT",
    startDate: Date.UTC(2025, 0, 1) / 1000,
    endDate: Date.UTC(2027, 11, 31) / 1000,
    totalQuantity: 72,
    inUseQuantity: 3,
    unassignedQuantity: 40,
    overagePercent: 10,
    availableOverageQuantity: 7,
    overageStartTime: Date.UTC(2026, 10, 1) / 1000,
    overageDuration: 30,
    saleType: "RENEWAL",
    renewedEmsProductKeyId: "PK-0",
    isMovableAcrossVG: false,
  };
  data.virtual_groups.set(ORG_KEY, [{ id: "4101", name: "Default", entitlements: [entitlement] }]);
  const feature = { id: "f1", featureName: "vPC", productName: "vPC", licenseType: "CONCURRENT", totalQuantity: 30 };
  const server = { status: "ENABLED", deployedOn: "CLOUD", leasingMode: "STANDARD" };
  data.license_servers.set("4101", [
    { ...server, id: "s1", name: "srv-1", serviceInstanceId: "i1", features: [feature] },
    { ...server, id: "s2", name: "srv-2", serviceInstanceId: "i2", features: [] },
  ]);
  data.license_pools.set("4101/s1", [
    { id: "p1", name: "default", features: [{ licenseServerFeatureId: "f1", totalAllotment: 10, inUse: 2 }] },
  ]);
  data.leases.set("4101/i1", [lease("L1", "vPC", "f1"), lease("L2", "vWS", undefined)]);
  data.leases.set("4101/i2", []);
  return data;
}

/** A snapshot with no rows, up, collected at 1 ms past the epoch unless `over` says otherwise. */
export const emptySnapshot = (over: Partial<Snapshot> = {}): Snapshot => ({
  collectedAt: 1,
  durationMs: 1,
  up: true,
  entitlements: [],
  servers: [],
  serverFeatures: [],
  pools: [],
  unattributed: [],
  invalidItems: [],
  failures: [],
  ...over,
});

/** A product key's entitlement row of `feature` in `group`: no seats, no end date unless `over` says so. */
export function keyRow(
  group: { virtual_group_id: string; virtual_group_name: string },
  id: string,
  feature: string,
  over: Partial<EntitlementRow> = {},
): EntitlementRow {
  const labels = {
    ...group,
    feature_name: feature,
    feature_version: "1.0",
    product_name: feature,
    license_type: "CONCURRENT",
    ems_entitlement_id: "E",
    ems_product_key_id: id,
  };
  return { labels, total: 0, inUse: 0, unassigned: 0, end: undefined, ...over };
}
