import { demandOf } from "../snapshot/demand.ts";
import { DEMAND_LABELS, FAMILY_LABELS } from "../snapshot/labels.ts";
import type { Labels, Snapshot } from "../snapshot/types.ts";

/** The kinds of series history records, as `/history?kind=` names them. */
export const HISTORY_KINDS = ["active_leases", "entitlement_in_use", "pool_in_use", "feature_in_use"] as const;
export type HistoryKind = (typeof HISTORY_KINDS)[number];

/** Labels that only name a thing: a rename updates the series instead of starting a new one. */
const NAME_LABELS = new Set(["virtual_group_name", "server_name", "pool_name"]);

/** Label columns of each kind, in the order CSV prints them: the labels of the family it is read from. */
export const KIND_LABELS: Record<HistoryKind, readonly string[]> = {
  active_leases: FAMILY_LABELS.serverFeature,
  entitlement_in_use: FAMILY_LABELS.entitlement,
  pool_in_use: FAMILY_LABELS.pool,
  // Org rows leave the group columns empty.
  feature_in_use: DEMAND_LABELS,
};

export interface Observation {
  kind: HistoryKind;
  /** Identity: the id labels, as canonical JSON. */
  key: string;
  labels: Labels;
  value: number;
  /** Seats the value is measured against (server feature total, entitlement total, pool allotment, seats bought). */
  capacity: number | undefined;
}

function identityOf(labels: Labels): string {
  const ids = Object.keys(labels)
    .filter((k) => !NAME_LABELS.has(k))
    .sort()
    .map((k) => [k, labels[k]]);
  return JSON.stringify(ids);
}

const finite = (n: number | undefined) => (n !== undefined && Number.isFinite(n) ? n : undefined);

/** What a snapshot says about the recorded series; a number CLS did not report is no observation. */
export function observe(s: Snapshot): Observation[] {
  const out: Observation[] = [];
  const add = (kind: HistoryKind, labels: Labels, value: number | undefined, capacity: number | undefined) => {
    const v = finite(value);
    if (v !== undefined) out.push({ kind, key: identityOf(labels), labels, value: v, capacity: finite(capacity) });
  };
  for (const r of s.serverFeatures) add("active_leases", r.labels, r.active, r.total);
  for (const r of s.entitlements) add("entitlement_in_use", r.labels, r.inUse, r.total);
  for (const r of s.pools) add("pool_in_use", r.labels, r.inUse, r.allotment);
  // Demand per scope (README "Demand"): what the report's peaks and time at capacity are read from.
  for (const r of demandOf(s)) add("feature_in_use", r.labels, r.inUse, r.seats);
  return out;
}
