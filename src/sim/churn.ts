/**
 * Lease churn: each tick adds or removes a few leases within capacity, then recomputes every
 * derived number, so the exporter sees counts move while all invariants keep holding.
 */
import { onCurve } from "./daily-curve.ts";
import { computeUsage, poolKey, recompute } from "./derive.ts";
import { insertLease, type LeaseTarget, removeLease } from "./leases.ts";
import { distinctLeases, leaseUnits, type SimModel } from "./model.ts";
import { pick, type Rng, uuid } from "./random.ts";

export interface TickResult {
  added: number;
  removed: number;
  leases: number;
}

interface LeaseRef {
  vgId: number;
  leaseId: string;
  units: number;
}

export function tick(model: SimModel, rng: Rng): TickResult {
  // Leases of a feature on a daily curve follow the clock (src/sim/daily-curve.ts), not churn.
  const leases: LeaseRef[] = [...distinctLeases(model)]
    .filter(({ lease }) => !onCurve(model, model.assignments.get(lease.leaseId)?.serverFeatureId))
    .map(({ vgId, lease }) => ({ vgId, leaseId: lease.leaseId, units: leaseUnits(lease) }));
  const targets = leaseTargets(model);
  const changes = 1 + Math.floor(rng() * Math.max(1, Math.ceil(leases.length * 0.05)));
  const result: TickResult = { added: 0, removed: 0, leases: 0 };
  for (let i = 0; i < changes; i++) {
    if (rng() < addProbability(model, leases.length)) {
      const added = tryAdd(model, targets, rng);
      if (added) {
        leases.push(added);
        result.added++;
      }
    } else if (leases.length > 0) {
      remove(model, targets, leases, Math.floor(rng() * leases.length));
      result.removed++;
    }
  }
  recompute(model);
  result.leases = leases.length;
  return result;
}

function remove(model: SimModel, targets: Targets, leases: LeaseRef[], at: number): void {
  const victim = leases[at]!;
  leases[at] = leases[leases.length - 1]!;
  leases.pop();
  const a = model.assignments.get(victim.leaseId);
  if (a?.poolId) {
    const key = poolKey(a.poolId, a.serverFeatureId);
    targets.used.set(key, (targets.used.get(key) ?? 0) - victim.units);
  }
  removeLease(model, victim.vgId, victim.leaseId);
}

/** Drift back toward the baseline so long runs neither drain the org nor fill it up. */
function addProbability(model: SimModel, current: number): number {
  if (current === 0) return 1;
  const base = Math.max(1, model.baselineLeases);
  return Math.min(0.9, Math.max(0.1, 0.5 + (0.5 * (base - current)) / base));
}

interface Targets {
  slots: Omit<LeaseTarget, "poolId">[];
  used: Map<string, number>;
}

/** Server features a new lease can land on: only servers with an instance that would report it. */
function leaseTargets(model: SimModel): Targets {
  const slots: Targets["slots"] = [];
  for (const [vgId, servers] of model.serversByVg) {
    for (const server of servers) {
      if (!server.serviceInstanceId) continue;
      for (const feature of server.licenseServerFeatures) if (!onCurve(model, feature.id)) slots.push({ vgId, server, feature });
    }
  }
  return { slots, used: computeUsage(model).byPoolFeature };
}

function tryAdd(model: SimModel, targets: Targets, rng: Rng): LeaseRef | null {
  if (targets.slots.length === 0) return null;
  for (let attempt = 0; attempt < 8; attempt++) {
    const slot = pick(rng, targets.slots);
    const open = (model.poolsByServer.get(slot.server.id) ?? []).filter((p) => {
      const pf = p.licensePoolFeatures.find((f) => f.licenseServerFeatureId === slot.feature.id);
      return pf !== undefined && pf.totalAllotment - (targets.used.get(poolKey(p.id, slot.feature.id)) ?? 0) >= 1;
    });
    if (open.length === 0) continue;
    const pool = pick(rng, open);
    const key = poolKey(pool.id, slot.feature.id);
    targets.used.set(key, (targets.used.get(key) ?? 0) + 1);
    const leaseId = uniqueLeaseId(model, rng);
    insertLease(model, { ...slot, poolId: pool.id }, leaseId);
    return { vgId: slot.vgId, leaseId, units: 1 };
  }
  return null;
}

function uniqueLeaseId(model: SimModel, rng: Rng): string {
  for (;;) {
    const id = uuid(rng);
    if (!model.assignments.has(id)) return id;
  }
}
