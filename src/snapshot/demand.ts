import type { GroupLabels } from "./labels.ts";
import { least, sum } from "./rows.ts";
import type { EntitlementRow, Snapshot } from "./types.ts";

/**
 * Demand, defined once: per virtual group × feature name (versions merged) and per feature name
 * across the org, the seats in use and the seats bought. Pure: "now" is the snapshot's collectedAt.
 * Computed from the snapshot when asked for, not stored in it (see README "Demand").
 */
export type DemandLabels =
  | {
      readonly scope: "virtual_group";
      readonly virtual_group_id: string;
      readonly virtual_group_name: string;
      readonly feature_name: string;
    }
  | { readonly scope: "org"; readonly feature_name: string };

export interface DemandRow {
  labels: DemandLabels;
  /**
   * Active leases on the scope's license servers (each lease once: the builder deduplicates by
   * lease id across the org) plus the scope's unattributed leases of the feature; undefined when
   * the leases of one of the scope's server features of it could not be read.
   */
  inUse: number | undefined;
  /** totalQuantity summed over the counted keys (see `counted`); undefined when one of them does not report it. */
  seats: number | undefined;
  /** availableOverageQuantity summed over the same keys, beside `seats`, never in it; undefined when none reports it. */
  overage: number | undefined;
  /** The earliest end date (unix seconds) among the counted keys; undefined when none has one. */
  expires: number | undefined;
}

interface Tally {
  group: GroupLabels | undefined;
  feature: string;
  inUse: number | undefined;
  seats: number | undefined;
  overage: number | undefined;
  expires: number | undefined;
}

/** A sum that stays unknown once one part is unknown: a partial count would look like free seats, or fewer seats than bought. */
const known = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : a + b);

/** Active at `now` (unix seconds): start ≤ now < end, a date CLS did not give not limiting it. */
export function isActive(r: Pick<EntitlementRow, "start" | "end">, now: number): boolean {
  return (r.start === undefined || r.start <= now) && (r.end === undefined || now < r.end);
}

/**
 * Product keys replaced by a renewal at `now`: a key named by another key's
 * renewedEmsProductKeyId, once that renewing key is active (one of its features is). Before the
 * renewal starts, the old key still counts; from then on only the renewing key does.
 */
export function replacedKeys(s: Snapshot, now: number): Set<string> {
  const active = new Set<string>();
  for (const r of s.entitlements) if (isActive(r, now)) active.add(r.labels.ems_product_key_id);
  const replaced = new Set<string>();
  for (const r of s.renewals ?? []) if (active.has(r.labels.ems_product_key_id)) replaced.add(r.labels.renewed_ems_product_key_id);
  return replaced;
}

/** Group rows first (in the order the snapshot names them), then one org row per feature name. */
export function demandOf(s: Snapshot): DemandRow[] {
  const now = s.collectedAt / 1000;
  const groups = new Map<string, Tally>();
  const tally = (labels: GroupLabels & { feature_name: string }): Tally => {
    const key = `${labels.virtual_group_id}\n${labels.feature_name}`;
    let t = groups.get(key);
    if (!t) {
      const group = { virtual_group_id: labels.virtual_group_id, virtual_group_name: labels.virtual_group_name };
      t = { group, feature: labels.feature_name, inUse: 0, seats: 0, overage: undefined, expires: undefined };
      groups.set(key, t);
    }
    return t;
  };
  for (const r of s.serverFeatures) {
    const t = tally(r.labels);
    t.inUse = known(t.inUse, r.active);
  }
  for (const r of s.unattributed) {
    const t = tally(r.labels);
    t.inUse = known(t.inUse, r.count);
  }
  const replaced = replacedKeys(s, now);
  for (const r of s.entitlements) {
    const t = tally(r.labels);
    if (!isActive(r, now) || replaced.has(r.labels.ems_product_key_id)) continue;
    t.seats = known(t.seats, r.total);
    t.overage = sum(t.overage, r.overageAvailable);
    t.expires = least(t.expires, r.end);
  }
  return [...[...groups.values()].map(row), ...orgTallies(groups.values()).map(row)];
}

/** The org's row of a feature adds up its groups' rows: leases are deduplicated across the whole org, so nothing is counted twice. */
function orgTallies(groups: Iterable<Tally>): Tally[] {
  const org = new Map<string, Tally>();
  for (const g of groups) {
    const t = org.get(g.feature);
    if (!t) {
      org.set(g.feature, { ...g, group: undefined });
      continue;
    }
    t.inUse = known(t.inUse, g.inUse);
    t.seats = known(t.seats, g.seats);
    t.overage = sum(t.overage, g.overage);
    t.expires = least(t.expires, g.expires);
  }
  return [...org.values()];
}

function row(t: Tally): DemandRow {
  const labels: DemandLabels = t.group
    ? { scope: "virtual_group", ...t.group, feature_name: t.feature }
    : { scope: "org", feature_name: t.feature };
  return { labels, inUse: t.inUse, seats: t.seats, overage: t.overage, expires: t.expires };
}
