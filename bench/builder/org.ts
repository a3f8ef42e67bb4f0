import { partKey } from "../../src/cls/endpoints.ts";
import { emptyOrg, type OrgData } from "../../src/cls/org.ts";

/**
 * An org of `groups` virtual groups made directly as OrgData (no HTTP). Each group has one server
 * with two features, one pool, one lease call with three leases (one matched by feature id, one by
 * server and feature name, one of a feature the group does not serve, so unattributed) and two
 * entitlements.
 */
export function orgOf(groups: number): OrgData {
  const data = emptyOrg();
  const vgs = [];
  for (let g = 0; g < groups; g++) {
    const vgId = `vg-${g}`;
    const feature = (n: number) => ({
      id: `f-${g}-${n}`,
      featureName: `feat-${n}`,
      productName: "vApps",
      licenseType: "CONCURRENT_COUNTED_SINGLE",
      totalQuantity: 10,
    });
    const server = {
      id: `s-${g}`,
      name: `server ${g}`,
      status: "ENABLED",
      deployedOn: "CLOUD",
      leasingMode: "STANDARD",
      serviceInstanceId: `si-${g}`,
      features: [feature(0), feature(1)],
    };
    data.license_servers.set(partKey(vgId), [server]);
    data.license_pools.set(partKey(vgId, server.id), [
      { id: `p-${g}`, name: "default", features: [{ licenseServerFeatureId: `f-${g}-0`, totalAllotment: 10, inUse: 2 }] },
    ]);
    const lease = (n: number, featureId: string | undefined, featureName: string) => ({
      leaseId: `l-${g}-${n}`,
      featureName,
      leaseCount: 1,
      licenseAllotmentFeatureId: featureId,
      serverId: undefined,
      serverName: undefined,
    });
    data.leases.set(partKey(vgId, server.serviceInstanceId), [
      lease(0, `f-${g}-0`, "feat-0"),
      lease(1, undefined, "feat-1"),
      lease(2, undefined, "other"),
    ]);
    const entitlement = (n: number) => ({
      featureName: `feat-${n}`,
      featureVersion: "1.0",
      productName: "vApps",
      licenseType: "CONCURRENT_COUNTED_SINGLE",
      endDate: Date.UTC(2030, 0, 1) / 1000,
      totalQuantity: 10,
      inUseQuantity: 2,
      unassignedQuantity: 0,
      emsEntitlementId: `e-${g}`,
      emsProductKeyId: `k-${g}`,
    });
    vgs.push({ id: vgId, name: `group ${g}`, entitlements: [entitlement(0), entitlement(1)] });
  }
  data.virtual_groups.set("", vgs);
  return data;
}
