/**
 * What the fleet model measures about itself: per profile, series present at the end, series-days
 * observed and value or capacity changes (a new series counts as one), printed by every run so the
 * churn is visible next to the figures it produced.
 */

import type { ProductKey, Server, Tracked } from "./fleet-series.ts";

export interface FleetCounts {
  /** Series present at the last refresh, by kind. */
  present: Record<string, number>;
  /** Distinct series over the span, by kind. */
  distinct: Record<string, number>;
  /** By profile: series present at the end, series-days observed, value or capacity changes (a new series counts as one). */
  profiles: Record<string, { present: number; seriesDays: number; changes: number }>;
}

export class ChangeTally {
  /** Series whose value or capacity changed in the current snapshot (new series included). */
  changes = 0;
  private readonly profileStats = new Map<string, { present: number; seriesDays: number; changes: number }>();

  constructor(private readonly intervalMs: number) {}

  /** Notes one series' value and capacity in the current snapshot. */
  track(t: Tracked, value: number, capacity: number): void {
    let st = this.profileStats.get(t.profile);
    if (!st) {
      st = { present: 0, seriesDays: 0, changes: 0 };
      this.profileStats.set(t.profile, st);
    }
    st.seriesDays += this.intervalMs / 86_400_000;
    if (value !== t.lastValue || capacity !== t.lastCapacity) {
      st.changes++;
      this.changes++;
      t.lastValue = value;
      t.lastCapacity = capacity;
    }
  }

  /** The counts after refresh `last`. */
  counts(servers: Server[], keys: ProductKey[], last: number): FleetCounts {
    const present: Record<string, number> = { active_leases: 0, entitlement_in_use: 0, pool_in_use: 0 };
    const distinct: Record<string, number> = { active_leases: 0, entitlement_in_use: 0, pool_in_use: 0 };
    const profiles: FleetCounts["profiles"] = {};
    for (const [name, st] of this.profileStats) profiles[name] = { ...st, present: 0 };
    const see = (t: Tracked, alive: boolean, seen: boolean) => {
      if (seen) distinct[t.kind]!++;
      if (alive) {
        present[t.kind]!++;
        profiles[t.profile]!.present++;
      }
    };
    for (const s of servers) {
      const alive = last >= s.from && last < s.until;
      const seen = s.from <= last;
      for (const src of s.sources) see(src, alive, seen);
      for (const p of s.pools) see(p, alive, seen);
    }
    for (const k of keys) see(k, last >= k.from && last < k.until, k.from <= last && k.until > k.from);
    return { present, distinct, profiles };
  }
}
