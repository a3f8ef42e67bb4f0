/**
 * Real CLS data the peer exporter learned to survive, added on top of any model: a lease reported
 * by two service instances, leases without license_server_id (attributable only in a one-server
 * group), and leaseCount 0 or missing. Each returns false when the model has no place for it.
 */
import { computeUsage, poolKey, recompute } from "./derive.ts";
import { insertLease, type LeaseTarget } from "./leases.ts";
import { countLeases, instancesOf, type SimModel, type WireLease } from "./model.ts";
import { mulberry32, type Rng, uuid } from "./random.ts";

export interface TrickyOptions {
  /** One existing client is also reported by a second service instance of its group. */
  duplicateLease?: boolean;
  /** A lease without license_server_id in a group with exactly one server (belongs to it). */
  orphanInSingleServerGroup?: boolean;
  /**
   * A lease without license_server_id and without licenseAllotmentFeatureId in a group with several
   * servers: no rule can place it (unattributed), whichever of the two ids an exporter relies on.
   */
  orphanInMultiServerGroup?: boolean;
  /** A lease with leaseCount 0 (counts as 1). */
  zeroLeaseCount?: boolean;
  /** A lease without leaseCount (counts as 1). */
  missingLeaseCount?: boolean;
}

export const ALL_TRICKY: Required<TrickyOptions> = {
  duplicateLease: true,
  orphanInSingleServerGroup: true,
  orphanInMultiServerGroup: true,
  zeroLeaseCount: true,
  missingLeaseCount: true,
};

/** Applies the requested oddities; returns the ones that found a place in this model. */
export function addTrickyData(model: SimModel, opts: TrickyOptions = ALL_TRICKY, seed = 1): (keyof TrickyOptions)[] {
  const rng = mulberry32(seed);
  const applied: (keyof TrickyOptions)[] = [];
  const steps: [keyof TrickyOptions, () => boolean][] = [
    ["duplicateLease", () => duplicateLease(model)],
    ["orphanInSingleServerGroup", () => orphan(model, rng, false)],
    ["orphanInMultiServerGroup", () => orphan(model, rng, true)],
    ["zeroLeaseCount", () => oddCount(model, rng, (l) => (l.leaseCount = 0))],
    ["missingLeaseCount", () => oddCount(model, rng, (l) => delete l.leaseCount)],
  ];
  for (const [name, step] of steps) if (opts[name] && step()) applied.push(name);
  model.baselineLeases = countLeases(model);
  recompute(model);
  return applied;
}

function duplicateLease(model: SimModel): boolean {
  for (const vg of model.virtualGroups) {
    const instances = instancesOf(model, vg.id);
    const client = model.clientsByVg.get(vg.id)?.find((c) => c.instanceIds.length === 1 && c.wire.leases.length > 0);
    const other = instances.find((i) => client && !client.instanceIds.includes(i));
    if (client && other) {
      client.instanceIds.push(other);
      return true;
    }
  }
  return false;
}

function orphan(model: SimModel, rng: Rng, multiServer: boolean): boolean {
  for (const vg of model.virtualGroups) {
    const servers = model.serversByVg.get(vg.id) ?? [];
    if (multiServer ? servers.length < 2 : servers.length !== 1) continue;
    const target = findRoom(model, vg.id);
    if (!target) continue;
    const lease = insertLease(model, target, uuid(rng));
    if (multiServer) delete lease.licenseAllotmentFeatureId;
    model.clientsByVg.get(vg.id)!.at(-1)!.wire.additionalProperties = {};
    return true;
  }
  return false;
}

function oddCount(model: SimModel, rng: Rng, mutate: (lease: WireLease) => void): boolean {
  for (const vg of model.virtualGroups) {
    const target = findRoom(model, vg.id);
    if (!target) continue;
    mutate(insertLease(model, target, uuid(rng)));
    return true;
  }
  return false;
}

/** A server feature and pool with one free seat in the group, on a server some instance reports. */
function findRoom(model: SimModel, vgId: number): LeaseTarget | null {
  const used = computeUsage(model).byPoolFeature;
  for (const server of model.serversByVg.get(vgId) ?? []) {
    if (!server.serviceInstanceId) continue;
    for (const feature of server.licenseServerFeatures) {
      for (const pool of model.poolsByServer.get(server.id) ?? []) {
        const pf = pool.licensePoolFeatures.find((f) => f.licenseServerFeatureId === feature.id);
        if (pf && pf.totalAllotment - (used.get(poolKey(pool.id, feature.id)) ?? 0) >= 1) {
          return { vgId, server, feature, poolId: pool.id };
        }
      }
    }
  }
  return null;
}
