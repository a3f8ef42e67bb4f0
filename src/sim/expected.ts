/**
 * Ground truth for exporter tests: the numbers a correct exporter shows, computed from the
 * model's lease set and hidden assignments, never by re-reading served responses.
 */
import { allocateEntitlements, computeUsage, poolKey, type Usage, vgKey } from "./derive.ts";
import { type ExpectedEntitlementFeature, entitlementFeature } from "./expected-entitlements.ts";
import { distinctLeases, instancesOf, leaseUnits, type SimModel } from "./model.ts";
import { MAX_PAGE_SIZE } from "./paging.ts";

export interface ExpectedServerFeature {
  vgId: number;
  serverId: string;
  serverName: string;
  featureName: string;
  serverFeatureId: string;
  totalQuantity: number;
  /** Seats of attributable leases (leaseCount summed, 0 or missing counted as 1), duplicates once. */
  activeLeases: number;
}

/** Leases without license_server_id in a group with several servers: an exporter cannot place them. */
export interface ExpectedUnattributed {
  vgId: number;
  featureName: string;
  activeLeases: number;
}

export type { ExpectedEntitlementFeature };

export interface ExpectedPoolFeature {
  vgId: number;
  serverId: string;
  poolId: string;
  poolName: string;
  serverFeatureId: string;
  featureName: string;
  allotment: number;
  inUse: number;
}

/** Calls of one refresh that walks pages by paginationInfo.totalPages: 1 + V + S + I at a large page size. */
export interface ExpectedCalls {
  pageSize: number;
  virtualGroupPages: number;
  licenseServerPages: number;
  licensePools: number;
  leases: number;
  total: number;
}

export interface Expected {
  orgName: string;
  virtualGroups: { vgId: number; name: string; servers: number; instances: number }[];
  leases: { distinct: number; seats: number; reportedByTwoInstances: number };
  serverFeatures: ExpectedServerFeature[];
  unattributed: ExpectedUnattributed[];
  entitlementFeatures: ExpectedEntitlementFeature[];
  poolFeatures: ExpectedPoolFeature[];
  calls: ExpectedCalls;
}

export function expected(model: SimModel, pageSize = MAX_PAGE_SIZE): Expected {
  const usage = computeUsage(model);
  const attributed = attribute(model);
  return {
    orgName: model.orgName,
    virtualGroups: model.virtualGroups.map((vg) => ({
      vgId: vg.id,
      name: vg.name,
      servers: model.serversByVg.get(vg.id)?.length ?? 0,
      instances: instancesOf(model, vg.id).length,
    })),
    leases: leaseTotals(model),
    serverFeatures: serverFeatures(model, attributed.byServerFeature),
    unattributed: [...attributed.unattributed].map(([key, activeLeases]) => {
      const [vg, ...name] = key.split("|");
      return { vgId: Number(vg), featureName: name.join("|"), activeLeases };
    }),
    entitlementFeatures: allocateEntitlements(model, usage).map(entitlementFeature),
    poolFeatures: poolFeatures(model, usage),
    calls: calls(model, pageSize),
  };
}

function leaseTotals(model: SimModel): Expected["leases"] {
  const totals = { distinct: 0, seats: 0, reportedByTwoInstances: 0 };
  for (const { client, lease } of distinctLeases(model)) {
    totals.distinct++;
    totals.seats += leaseUnits(lease);
    if (client.instanceIds.length > 1) totals.reportedByTwoInstances++;
  }
  return totals;
}

/**
 * The README's rule: the named server, else the group's only server, else unattributed. A lease
 * without license_server_id whose licenseAllotmentFeatureId names a server feature of the group is
 * placed there too, so exporters using either id agree with this truth.
 */
function attribute(model: SimModel): { byServerFeature: Map<string, number>; unattributed: Map<string, number> } {
  const byServerFeature = new Map<string, number>();
  const unattributed = new Map<string, number>();
  for (const { vgId, client, lease } of distinctLeases(model)) {
    const servers = model.serversByVg.get(vgId) ?? [];
    const named = client.wire.additionalProperties?.license_server_id;
    const server = named
      ? servers.find((s) => s.id === named)
      : (servers.find((s) => s.licenseServerFeatures.some((f) => f.id === lease.licenseAllotmentFeatureId)) ??
        (servers.length === 1 ? servers[0] : undefined));
    const feature = server?.licenseServerFeatures.find((f) => f.featureName === lease.featureName);
    const [map, key] = feature ? [byServerFeature, feature.id] : [unattributed, vgKey(vgId, lease.featureName)];
    map.set(key, (map.get(key) ?? 0) + leaseUnits(lease));
  }
  return { byServerFeature, unattributed };
}

function serverFeatures(model: SimModel, seats: Map<string, number>): ExpectedServerFeature[] {
  const out: ExpectedServerFeature[] = [];
  for (const [vgId, servers] of model.serversByVg) {
    for (const s of servers) {
      for (const f of s.licenseServerFeatures) {
        out.push({
          vgId,
          serverId: s.id,
          serverName: s.name,
          featureName: f.featureName,
          serverFeatureId: f.id,
          totalQuantity: f.totalQuantity,
          activeLeases: seats.get(f.id) ?? 0,
        });
      }
    }
  }
  return out;
}

function poolFeatures(model: SimModel, usage: Usage): ExpectedPoolFeature[] {
  const out: ExpectedPoolFeature[] = [];
  for (const [vgId, servers] of model.serversByVg) {
    for (const s of servers) {
      for (const pool of model.poolsByServer.get(s.id) ?? []) {
        for (const pf of pool.licensePoolFeatures) {
          const feature = s.licenseServerFeatures.find((f) => f.id === pf.licenseServerFeatureId);
          out.push({
            vgId,
            serverId: s.id,
            poolId: pool.id,
            poolName: pool.name,
            serverFeatureId: pf.licenseServerFeatureId,
            featureName: feature?.featureName ?? "",
            allotment: pf.totalAllotment,
            inUse: usage.byPoolFeature.get(poolKey(pool.id, pf.licenseServerFeatureId)) ?? 0,
          });
        }
      }
    }
  }
  return out;
}

function calls(model: SimModel, requested: number): ExpectedCalls {
  const pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(requested)));
  const pages = (n: number) => Math.max(1, Math.ceil(n / pageSize));
  const c = { pageSize, virtualGroupPages: pages(model.virtualGroups.length), licenseServerPages: 0, licensePools: 0, leases: 0 };
  for (const vg of model.virtualGroups) {
    const servers = model.serversByVg.get(vg.id)?.length ?? 0;
    c.licenseServerPages += pages(servers);
    c.licensePools += servers;
    c.leases += instancesOf(model, vg.id).length;
  }
  return { ...c, total: c.virtualGroupPages + c.licenseServerPages + c.licensePools + c.leases };
}
