/**
 * Recomputes every number that depends on the lease set, so the invariants of the fixtures'
 * index.json hold after loading, generating or churning. The same computation feeds expected(),
 * which keeps ground truth and served data from drifting apart by construction; the tests then
 * check the served wire objects independently.
 */
import { distinctLeases, leaseUnits, type SimModel, type WireEntitlementFeature, type WireProductKey } from "./model.ts";

export interface Usage {
  /** `${poolId}|${serverFeatureId}` -> seats */
  byPoolFeature: Map<string, number>;
  /** serverFeatureId -> seats, by hidden attribution (what the server really serves) */
  byServerFeature: Map<string, number>;
  /** `${vgId}|${featureName}` -> seats */
  byVgFeature: Map<string, number>;
  /** `${vgId}|${featureName}` -> sum of the servers' totalQuantity */
  serverTotalByVgFeature: Map<string, number>;
}

export interface EntitlementSlot {
  vgId: number;
  emsEntitlementId: string;
  emsProductKeyId: string;
  key: WireProductKey;
  feature: WireEntitlementFeature;
}

export const vgKey = (vgId: number, featureName: string): string => `${vgId}|${featureName}`;
export const poolKey = (poolId: string, serverFeatureId: string): string => `${poolId}|${serverFeatureId}`;

function add(map: Map<string, number>, key: string, n: number): void {
  map.set(key, (map.get(key) ?? 0) + n);
}

export function computeUsage(model: SimModel): Usage {
  const usage: Usage = {
    byPoolFeature: new Map(),
    byServerFeature: new Map(),
    byVgFeature: new Map(),
    serverTotalByVgFeature: new Map(),
  };
  for (const { vgId, lease } of distinctLeases(model)) {
    const units = leaseUnits(lease);
    add(usage.byVgFeature, vgKey(vgId, lease.featureName), units);
    const a = model.assignments.get(lease.leaseId);
    if (!a) continue;
    add(usage.byServerFeature, a.serverFeatureId, units);
    if (a.poolId) add(usage.byPoolFeature, poolKey(a.poolId, a.serverFeatureId), units);
  }
  for (const [vgId, servers] of model.serversByVg) {
    for (const s of servers) {
      for (const f of s.licenseServerFeatures) add(usage.serverTotalByVgFeature, vgKey(vgId, f.featureName), f.totalQuantity);
    }
  }
  return usage;
}

/**
 * Fills capacities in order. A feature split over several product keys (e.g. 72 + 128 seats)
 * has no documented split rule; filling the first key first is the simplest consistent one.
 * With `overflowToLast`, what does not fit lands on the last slot (overage) instead of vanishing.
 */
function allocateGreedy(amount: number, capacities: number[], overflowToLast: boolean): number[] {
  let rest = Math.max(0, amount);
  const out = capacities.map((cap) => {
    const take = Math.min(Math.max(0, cap), rest);
    rest -= take;
    return take;
  });
  if (overflowToLast && rest > 0 && out.length > 0) out[out.length - 1]! += rest;
  return out;
}

function entitlementSlots(model: SimModel): EntitlementSlot[] {
  const slots: EntitlementSlot[] = [];
  for (const vg of model.virtualGroups) {
    for (const ent of vg.entitlements ?? []) {
      for (const pk of ent.entitlementProductKeys) {
        for (const feature of pk.entitlementFeatures) {
          slots.push({ vgId: vg.id, emsEntitlementId: ent.emsEntitlementId, emsProductKeyId: pk.emsProductKeyId, key: pk, feature });
        }
      }
    }
  }
  return slots;
}

export interface EntitlementNumbers extends EntitlementSlot {
  inUse: number;
  unassigned: number;
}

/** Per product-key feature: seats in use and seats not handed to any server, from the lease set. */
export function allocateEntitlements(model: SimModel, usage: Usage): EntitlementNumbers[] {
  const groups = new Map<string, EntitlementSlot[]>();
  const all = entitlementSlots(model);
  for (const slot of all) {
    const key = vgKey(slot.vgId, slot.feature.featureName);
    const group = groups.get(key) ?? [];
    group.push(slot);
    groups.set(key, group);
  }
  const numbers = new Map<EntitlementSlot, EntitlementNumbers>();
  for (const [key, slots] of groups) {
    const totals = slots.map((s) => s.feature.totalQuantity);
    const inUse = allocateGreedy(usage.byVgFeature.get(key) ?? 0, totals, true);
    const assigned = allocateGreedy(usage.serverTotalByVgFeature.get(key) ?? 0, totals, false);
    slots.forEach((slot, i) => {
      numbers.set(slot, { ...slot, inUse: inUse[i] ?? 0, unassigned: slot.feature.totalQuantity - (assigned[i] ?? 0) });
    });
  }
  // In the order CLS lists them (a renewal key of a feature comes after other features' keys).
  return all.map((slot) => numbers.get(slot)!);
}

function writeEntitlements(model: SimModel, usage: Usage): void {
  for (const n of allocateEntitlements(model, usage)) {
    n.feature.inUseQuantity = n.inUse;
    n.feature.unassignedQuantity = n.unassigned;
  }
}

function writePools(model: SimModel, usage: Usage): void {
  for (const pools of model.poolsByServer.values()) {
    for (const pool of pools) {
      for (const pf of pool.licensePoolFeatures) {
        pf.inUse = usage.byPoolFeature.get(poolKey(pool.id, pf.licenseServerFeatureId)) ?? 0;
      }
    }
  }
}

/** Rewrites every derived number in the wire objects from the current lease set. */
export function recompute(model: SimModel): Usage {
  const usage = computeUsage(model);
  writeEntitlements(model, usage);
  writePools(model, usage);
  return usage;
}
