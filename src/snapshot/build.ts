import { ORG_KEY, outermostId, partKey, type RawLease, type RawServer, type RawVirtualGroup } from "../cls/endpoints.ts";
import type { OrgData, PartFailure } from "../cls/org.ts";
import { buildEntitlements } from "./build-entitlements.ts";
import type { GroupLabels, ServerLabels } from "./labels.ts";
import { Rows, sum, v } from "./rows.ts";
import type { PoolRow, ServerFeatureRow, Snapshot, UnattributedRow } from "./types.ts";

export interface BuildMeta {
  collectedAt: number;
  durationMs: number;
  failures: readonly PartFailure[];
  invalidItems: ReadonlyArray<readonly [string, number]>;
  invalidReasons?: ReadonlyArray<readonly [string, string, number]>;
}

/** Pure: org data + time → the numbers the metrics show. */
export function buildSnapshot(data: OrgData, meta: BuildMeta): Snapshot {
  const groups = data.virtual_groups.get(ORG_KEY) ?? [];
  const features = new Rows<ServerFeatureRow>();
  const pools = new Rows<PoolRow>();
  const servers: Snapshot["servers"] = [];
  // Feature ids are the documented join key and unique across the org: one index for every group,
  // since a service instance may report a lease of another group's server.
  const byId = new Map<string, ServerFeatureRow>();
  const indexes = groups.map((vg) => {
    const vgServers = data.license_servers.get(partKey(vg.id)) ?? [];
    const index = indexFeatures(data, vg, vgServers, { features, servers, byId });
    addPools(data, vg, vgServers, index, pools);
    return { vg, vgServers, index };
  });
  const unattributed = new Rows<UnattributedRow>();
  const seenLeases = new Set<string>();
  const leaseParts = leasePartsByGroup(data.leases);
  for (const { vg, vgServers, index } of indexes) {
    for (const lease of (leaseParts.get(vg.id) ?? []).flat()) {
      if (seenLeases.has(lease.leaseId)) continue;
      seenLeases.add(lease.leaseId);
      const count = lease.leaseCount !== undefined && lease.leaseCount > 0 ? lease.leaseCount : 1;
      const row = (lease.licenseAllotmentFeatureId && byId.get(lease.licenseAllotmentFeatureId)) || attribute(lease, index, vgServers);
      // A row whose own leases are unknown stays unknown: a partial count would look like free seats.
      if (row) row.active = row.active === undefined ? undefined : row.active + count;
      else
        unattributed.add(
          { labels: { virtual_group_id: vg.id, virtual_group_name: v(vg.name), feature_name: v(lease.featureName) }, count },
          (a, b) => (a.count += b.count),
        );
    }
  }
  const { entitlements, productKeys, renewals } = buildEntitlements(groups);
  return {
    collectedAt: meta.collectedAt,
    durationMs: meta.durationMs,
    up: meta.failures.length === 0,
    entitlements,
    productKeys,
    renewals,
    servers,
    serverFeatures: features.list(),
    pools: pools.list(),
    unattributed: unattributed.list(),
    invalidItems: meta.invalidItems,
    ...(meta.invalidReasons && meta.invalidReasons.length > 0 ? { invalidReasons: meta.invalidReasons } : {}),
    failures: meta.failures,
  };
}

/** Every lease part a group's calls fetched, in the order they were kept, by virtual group id. */
function leasePartsByGroup(parts: OrgData["leases"]): Map<string, RawLease[][]> {
  const byGroup = new Map<string, RawLease[][]>();
  for (const [key, leases] of parts) {
    const vgId = outermostId(key);
    const have = byGroup.get(vgId);
    if (have) have.push(leases);
    else byGroup.set(vgId, [leases]);
  }
  return byGroup;
}

interface FeatureIndex {
  /** `${serverId}\n${featureName}` → row, for leases whose feature id does not match. */
  byServerAndName: Map<string, ServerFeatureRow>;
  serverLabels: Map<string, ServerLabels>;
}

interface Sinks {
  features: Rows<ServerFeatureRow>;
  servers: Snapshot["servers"];
  byId: Map<string, ServerFeatureRow>;
}

function indexFeatures(data: OrgData, vg: RawVirtualGroup, vgServers: readonly RawServer[], out: Sinks): FeatureIndex {
  const index: FeatureIndex = { byServerAndName: new Map(), serverLabels: new Map() };
  const vgLabels: GroupLabels = { virtual_group_id: vg.id, virtual_group_name: v(vg.name) };
  for (const s of vgServers) {
    const serverLabels: ServerLabels = { ...vgLabels, server_id: s.id, server_name: v(s.name) };
    index.serverLabels.set(s.id, serverLabels);
    out.servers.push({ labels: { ...serverLabels, status: v(s.status), deployed_on: v(s.deployedOn), leasing_mode: v(s.leasingMode) } });
    // Leases are known only when the call for this server's service instance has data.
    const leasesKnown = data.leases.has(partKey(vg.id, s.serviceInstanceId ?? ""));
    for (const f of s.features) {
      const labels = { ...serverLabels, feature_name: v(f.featureName), product_name: v(f.productName), license_type: v(f.licenseType) };
      const row: ServerFeatureRow = { labels, total: f.totalQuantity, active: leasesKnown ? 0 : undefined };
      const kept = out.features.add(row, (into, r) => {
        into.total = sum(into.total, r.total);
        if (r.active === undefined) into.active = undefined;
      });
      out.byId.set(f.id, kept);
      index.byServerAndName.set(`${s.id}\n${f.featureName}`, kept);
    }
  }
  return index;
}

/** When the feature id matches nothing: the named server, else a group's only server, by feature name. */
function attribute(lease: RawLease, index: FeatureIndex, vgServers: readonly RawServer[]): ServerFeatureRow | undefined {
  const serverId = lease.serverId ?? (vgServers.length === 1 ? vgServers[0]!.id : undefined);
  return serverId === undefined ? undefined : index.byServerAndName.get(`${serverId}\n${lease.featureName}`);
}

function addPools(data: OrgData, vg: RawVirtualGroup, vgServers: readonly RawServer[], index: FeatureIndex, pools: Rows<PoolRow>): void {
  const featureName = new Map<string, string>();
  for (const s of vgServers) for (const f of s.features) featureName.set(f.id, v(f.featureName));
  for (const s of vgServers) {
    for (const pool of data.license_pools.get(partKey(vg.id, s.id)) ?? []) {
      for (const pf of pool.features) {
        const labels = {
          ...index.serverLabels.get(s.id)!,
          pool_id: pool.id,
          pool_name: v(pool.name),
          feature_name: featureName.get(pf.licenseServerFeatureId) ?? "unknown",
        };
        pools.add({ labels, allotment: pf.totalAllotment, inUse: pf.inUse }, (a, b) => {
          a.allotment = sum(a.allotment, b.allotment);
          a.inUse = sum(a.inUse, b.inUse);
        });
      }
    }
  }
}
