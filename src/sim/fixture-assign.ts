/**
 * Fixture leases do not say which server feature and pool they consume (pool attribution is not
 * on the wire at all). Rebuild the hidden assignment so that recomputing the derived numbers
 * reproduces the fixture files: leases fill pools greedily up to the fixtures' pool inUse.
 */
import { poolKey } from "./derive.ts";
import { type LeaseAssignment, leaseUnits, type SimClient, type SimModel, type WireLease, type WireLicenseServer } from "./model.ts";

export function assignLeases(model: SimModel, poolTargets: Map<string, number>): void {
  const remaining = new Map(poolTargets);
  const used = new Map<string, number>();
  for (const [vgId, clients] of model.clientsByVg) {
    for (const client of clients) {
      for (const lease of client.wire.leases) {
        if (model.assignments.has(lease.leaseId)) continue;
        const a = assignOne(model, vgId, client, lease);
        if (!a) continue;
        a.poolId = choosePool(model, a, leaseUnits(lease), remaining, used);
        model.assignments.set(lease.leaseId, a);
      }
    }
  }
}

function assignOne(model: SimModel, vgId: number, client: SimClient, lease: WireLease): LeaseAssignment | null {
  const server = resolveServer(model.serversByVg.get(vgId) ?? [], client, lease);
  if (!server) return null;
  const feature =
    server.licenseServerFeatures.find((f) => f.id === lease.licenseAllotmentFeatureId) ??
    server.licenseServerFeatures.find((f) => f.featureName === lease.featureName);
  if (!feature) return null;
  return { vgId, serverId: server.id, serverFeatureId: feature.id, poolId: null };
}

/** Named server first; otherwise the one whose feature id the lease carries, or whose instance reports it. */
function resolveServer(servers: WireLicenseServer[], client: SimClient, lease: WireLease): WireLicenseServer | undefined {
  const named = client.wire.additionalProperties?.license_server_id;
  if (named) return servers.find((s) => s.id === named);
  const featureId = lease.licenseAllotmentFeatureId;
  return (
    servers.find((s) => s.licenseServerFeatures.some((f) => f.id === featureId)) ??
    servers.find((s) => s.serviceInstanceId !== undefined && client.instanceIds.includes(s.serviceInstanceId)) ??
    (servers.length === 1 ? servers[0] : undefined)
  );
}

function choosePool(
  model: SimModel,
  a: LeaseAssignment,
  units: number,
  remaining: Map<string, number>,
  used: Map<string, number>,
): string | null {
  const candidates = (model.poolsByServer.get(a.serverId) ?? []).flatMap((pool) => {
    const pf = pool.licensePoolFeatures.find((f) => f.licenseServerFeatureId === a.serverFeatureId);
    return pf ? [{ key: poolKey(pool.id, a.serverFeatureId), id: pool.id, allotment: pf.totalAllotment }] : [];
  });
  const chosen =
    candidates.find((c) => (remaining.get(c.key) ?? 0) >= units) ??
    candidates.find((c) => c.allotment - (used.get(c.key) ?? 0) >= units) ??
    candidates[0];
  if (!chosen) return null;
  remaining.set(chosen.key, (remaining.get(chosen.key) ?? 0) - units);
  used.set(chosen.key, (used.get(chosen.key) ?? 0) + units);
  return chosen.id;
}
