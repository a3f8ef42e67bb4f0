/** Adding and removing single leases while keeping clients and hidden assignments in step. */
import type { SimModel, WireLease, WireLicenseServer, WireServerFeature } from "./model.ts";

export interface LeaseTarget {
  vgId: number;
  server: WireLicenseServer;
  feature: WireServerFeature;
  poolId: string | null;
}

/** One new client holding one lease, reported by the server's own service instance. */
export function insertLease(model: SimModel, t: LeaseTarget, leaseId: string): WireLease {
  const lease: WireLease = { leaseId, featureName: t.feature.featureName, leaseCount: 1, licenseAllotmentFeatureId: t.feature.id };
  const clients = model.clientsByVg.get(t.vgId) ?? [];
  model.clientsByVg.set(t.vgId, clients);
  clients.push({
    instanceIds: t.server.serviceInstanceId ? [t.server.serviceInstanceId] : [],
    wire: { leases: [lease], additionalProperties: { license_server_id: t.server.id, license_server_name: t.server.name } },
  });
  model.assignments.set(leaseId, { vgId: t.vgId, serverId: t.server.id, serverFeatureId: t.feature.id, poolId: t.poolId });
  return lease;
}

/** Removes the lease everywhere it is reported; a client left without leases disappears. */
export function removeLease(model: SimModel, vgId: number, leaseId: string): boolean {
  const clients = model.clientsByVg.get(vgId);
  if (!clients) return false;
  let found = false;
  for (let i = clients.length - 1; i >= 0; i--) {
    const c = clients[i]!;
    const kept = c.wire.leases.filter((l) => l.leaseId !== leaseId);
    if (kept.length === c.wire.leases.length) continue;
    found = true;
    c.wire.leases = kept;
    if (kept.length === 0) clients.splice(i, 1);
  }
  model.assignments.delete(leaseId);
  return found;
}
