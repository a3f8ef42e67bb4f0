/**
 * Ground truth of demand (README "Demand"), from the model's wire objects and its lease set, for
 * the exporter's `nvidia_cls_feature_*` families: a second, independent reading of the definitions,
 * not a call to the exporter's module.
 */
import { readDate } from "../cls/dates.ts";
import { distinctLeases, leaseUnits, type SimModel, type WireEntitlementFeature, type WireProductKey } from "./model.ts";

export interface ExpectedDemand {
  /** null on the org's rows. */
  vgId: number | null;
  featureName: string;
  inUse: number;
  seats: number;
  /** null when no counted key sends a number. */
  overage: number | null;
}

interface Slot {
  vgId: number;
  key: WireProductKey;
  feature: WireEntitlementFeature;
}

function slots(model: SimModel): Slot[] {
  return model.virtualGroups.flatMap((vg) =>
    (vg.entitlements ?? []).flatMap((e) =>
      e.entitlementProductKeys.flatMap((key) => key.entitlementFeatures.map((feature) => ({ vgId: vg.id, key, feature }))),
    ),
  );
}

/** `nowMs`: the time the exporter collected its data; entitlements are active at it when start ≤ now < end. */
export function expectedDemand(model: SimModel, nowMs: number): ExpectedDemand[] {
  const byVg = new Map<string, ExpectedDemand>();
  const row = (vgId: number, featureName: string) => {
    const k = `${vgId}|${featureName}`;
    const have = byVg.get(k) ?? { vgId, featureName, inUse: 0, seats: 0, overage: null };
    byVg.set(k, have);
    return have;
  };
  for (const [vgId, servers] of model.serversByVg)
    for (const s of servers) for (const f of s.licenseServerFeatures) row(vgId, f.featureName);
  // Every distinct lease is a seat of its group, on a server of it or unattributed there.
  for (const { vgId, lease } of distinctLeases(model)) row(vgId, lease.featureName).inUse += leaseUnits(lease);
  const all = slots(model);
  const active = (f: WireEntitlementFeature) => {
    const start = readDate(f.startDate);
    const end = readDate(f.endDate);
    return (typeof start !== "number" || start * 1000 <= nowMs) && (typeof end !== "number" || nowMs < end * 1000);
  };
  const activeKeys = new Set(all.filter((s) => active(s.feature)).map((s) => s.key.emsProductKeyId));
  const renewed = new Set(
    all
      .filter((s) => activeKeys.has(s.key.emsProductKeyId) && typeof s.key.renewedEmsProductKeyId === "string")
      .map((s) => (s.key.renewedEmsProductKeyId as string).trim())
      .filter((id) => id !== ""),
  );
  for (const s of all) {
    const r = row(s.vgId, s.feature.featureName);
    if (!active(s.feature) || renewed.has(s.key.emsProductKeyId)) continue;
    r.seats += s.feature.totalQuantity;
    const overage = s.feature.availableOverageQuantity;
    if (typeof overage === "number") r.overage = (r.overage ?? 0) + overage;
  }
  return [...byVg.values(), ...orgRows(byVg.values())];
}

function orgRows(groups: Iterable<ExpectedDemand>): ExpectedDemand[] {
  const org = new Map<string, ExpectedDemand>();
  for (const g of groups) {
    const have = org.get(g.featureName);
    if (!have) org.set(g.featureName, { ...g, vgId: null });
    else {
      have.inUse += g.inUse;
      have.seats += g.seats;
      if (g.overage !== null) have.overage = (have.overage ?? 0) + g.overage;
    }
  }
  return [...org.values()];
}
