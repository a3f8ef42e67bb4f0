/**
 * A seeded model of one CLS org over a span of 60 s refreshes, for bench/history.ts: ~30 license
 * servers × 10 features (active_leases), ~100 entitlement product keys (entitlement_in_use) and
 * ~100 pool features (pool_in_use), with the churn of a vGPU / AI Enterprise fleet:
 *
 * - VDI desktops (office and engineering profiles) take a lease when a user's desktop starts on a
 *   weekday morning and give it back in the evening, in the time zone of their virtual group; a share
 *   of desktops is persistent (leased around the clock); some users log off for lunch, some leave
 *   their desktop running overnight, ad-hoc sessions come and go during the day, a few on weekends.
 *   Public holidays, the Christmas week and the summer holidays thin attendance out.
 * - Compute / AI Enterprise features hold a level for weeks, change in short bursts (a deployment
 *   scaled up or down) about once every 8 working days, and drop to 0 and come back during a
 *   monthly maintenance night.
 * - "Light" features (legacy editions, a few seats) see a handful of users; "idle" ones never lease.
 * - Capacity: server feature totals are re-allotted about 1.5 times a year; entitlement product keys
 *   renew once in the span (a quarter with a larger total, some under a new key id), and a few add-on
 *   keys are bought. Two servers are retired, three added, one renamed.
 * - Entitlements and pools follow the server features they aggregate: a group's leases of a feature
 *   fill its product keys oldest first; a feature split over two pools fills the first pool first.
 *
 * Everything is drawn from mulberry32 streams derived from one seed, one stream per series, so the
 * same options give the same year. Snapshots must be requested for i = 0, 1, 2, … in order.
 * The model's parts: fleet-plan.ts (what the org is), fleet-series.ts and fleet-days.ts (how each
 * series moves), fleet-capacity.ts (re-allotments, product keys); fleet-counts.ts measures its churn.
 */

import { mulberry32, type Rng, randInt, uuid } from "../../src/sim/random.ts";
import type { EntitlementRow, PoolRow, ServerFeatureRow, Snapshot } from "../../src/snapshot/types.ts";
import { type CapacityPlan, planCapacity, planKeys } from "./fleet-capacity.ts";
import { ChangeTally, type FleetCounts } from "./fleet-counts.ts";
import { FEATURES, GROUPS, type Group, HOLIDAYS, RENAMED, ROLES, SERVER_PLAN } from "./fleet-plan.ts";
import { PoolFeature, type ProductKey, Server, Source } from "./fleet-series.ts";

export type { FleetCounts } from "./fleet-counts.ts";

export interface FleetOptions {
  seed: number;
  /** collectedAt of refresh 0, ms since epoch. */
  firstMs: number;
  refreshes: number;
  intervalMs?: number;
  /** Every series changes on every refresh (2 × value + parity): the worst case for the writer. */
  worst?: boolean;
}

/** Server `index` of SERVER_PLAN with its features (seats drawn from their own streams) and pools. */
function buildServer(index: number, group: Group, at: (fraction: number) => number, rng: Rng, stream: (k: number) => Rng, ordinal: number) {
  const [, role, join, leave] = SERVER_PLAN[index]!;
  const server = new Server(index, group, role, at(join), at(leave), rng, ordinal);
  ROLES[role].features.forEach(([profile, lo, hi], f) => {
    const srng = stream(index * 16 + f);
    const seats = profile === "idle" ? 0 : randInt(srng, lo, hi);
    const source = new Source(server, f, profile, seats, srng);
    source.labelsChanged();
    server.sources.push(source);
  });
  const pool = uuid(rng);
  for (const f of ROLES[role].pools) {
    const split = index % 3 === 0 && f === ROLES[role].pools[0] ? { share: 0.6, first: true } : undefined;
    server.pools.push(new PoolFeature(server, server.sources[f]!, pool, "default", split));
  }
  if (index % 3 === 0) {
    const f = ROLES[role].pools[0]!;
    const name = role === "compute" ? "batch" : "interactive";
    server.pools.push(new PoolFeature(server, server.sources[f]!, uuid(rng), name, { share: 0.6, first: false }));
  }
  return server;
}

export class Fleet implements CapacityPlan {
  readonly groups: Group[];
  readonly servers: Server[] = [];
  readonly keys: ProductKey[] = [];
  readonly refreshes: number;
  readonly intervalMs: number;
  readonly firstMs: number;
  private readonly actions = new Map<number, (() => void)[]>();
  private readonly tally: ChangeTally;
  private next = 0;

  constructor(private readonly opts: FleetOptions) {
    this.intervalMs = opts.intervalMs ?? 60_000;
    this.refreshes = opts.refreshes;
    this.firstMs = opts.firstMs;
    this.tally = new ChangeTally(this.intervalMs);
    const rng = mulberry32(opts.seed);
    const stream = (k: number) => mulberry32((opts.seed * 0x9e3779b1 + k * 0x85ebca6b) >>> 0);
    this.groups = GROUPS.map((g) => ({ ...g, holidays: new Set(HOLIDAYS[g.name]) }));
    const n = opts.refreshes;
    const at = (fraction: number) => (fraction <= 0 ? 0 : fraction >= 1 ? n : Math.floor(fraction * n));
    const ordinals = new Map<string, number>();
    SERVER_PLAN.forEach(([gi, role], index) => {
      const key = `${gi}/${role}`;
      ordinals.set(key, (ordinals.get(key) ?? 0) + 1);
      this.servers.push(buildServer(index, this.groups[gi]!, at, rng, stream, ordinals.get(key)!));
    });
    planCapacity(this, stream);
    planKeys(this, rng);
    const [renamed, when] = RENAMED;
    this.schedule(at(when), () => {
      const s = this.servers[renamed]!;
      s.name = `${s.name}-fra`;
      s.relabel();
    });
  }

  /** Series whose value or capacity changed in the last snapshot (new series included). */
  get changes(): number {
    return this.tally.changes;
  }

  schedule(i: number, fn: () => void): void {
    if (i < 0 || i >= this.refreshes) return;
    const list = this.actions.get(i) ?? [];
    list.push(fn);
    this.actions.set(i, list);
  }

  /** The snapshot of refresh `i`; call with 0, 1, 2, … */
  snapshot(i: number): Snapshot {
    if (i !== this.next) throw new Error(`fleet: snapshot ${i} requested, expected ${this.next}`);
    this.next++;
    const collectedAt = this.firstMs + i * this.intervalMs;
    for (const fn of this.actions.get(i) ?? []) fn();
    this.actions.delete(i);
    const parity = i & 1;
    const v = (x: number) => (this.opts.worst === true ? 2 * x + parity : x);
    this.tally.changes = 0;
    const { servers, serverFeatures, pools, sums } = this.serverRows(i, Math.floor(collectedAt / 60_000), v);
    const entitlements = this.entitlementRows(i, sums, v);
    return {
      collectedAt,
      durationMs: 600 + (i % 7) * 13,
      up: true,
      entitlements,
      servers,
      serverFeatures,
      pools,
      unattributed: [],
      invalidItems: [],
      failures: [],
    };
  }

  /** Servers, their features and pools at refresh `i`; `sums` is `${group}/${feature}` → leases over the group's servers. */
  private serverRows(i: number, minute: number, v: (x: number) => number) {
    const serverFeatures: ServerFeatureRow[] = [];
    const servers: Snapshot["servers"] = [];
    const pools: PoolRow[] = [];
    const sums = new Map<string, number>();
    for (const server of this.servers) {
      if (i < server.from || i >= server.until) continue;
      servers.push({ labels: server.infoLabels });
      for (const s of server.sources) {
        if (i === server.from) s.begin(minute);
        s.advance(minute);
        const value = s.value;
        serverFeatures.push({ labels: s.labels, total: s.total, active: v(value) });
        this.tally.track(s, v(value), s.total);
        const k = `${server.group.id}/${s.feature}`;
        sums.set(k, (sums.get(k) ?? 0) + value);
      }
      for (const p of server.pools) {
        p.update();
        pools.push({ labels: p.labels, allotment: p.allotment, inUse: v(p.inUse) });
        this.tally.track(p, v(p.inUse), p.allotment);
      }
    }
    return { servers, serverFeatures, pools, sums };
  }

  /** The product keys alive at refresh `i`, filled oldest first with their group's leases of the feature. */
  private entitlementRows(i: number, sums: Map<string, number>, v: (x: number) => number): EntitlementRow[] {
    const entitlements: EntitlementRow[] = [];
    const left = new Map(sums);
    for (const key of this.keys) {
      if (i < key.from || i >= key.until) continue;
      const k = `${key.group.id}/${key.feature}`;
      const remaining = left.get(k) ?? 0;
      key.inUse = Math.min(remaining, key.total);
      left.set(k, remaining - key.inUse);
      entitlements.push({ labels: key.labels, total: key.total, inUse: v(key.inUse), unassigned: key.total - key.inUse, end: key.end });
      this.tally.track(key, v(key.inUse), key.total);
    }
    return entitlements;
  }

  counts(): FleetCounts {
    return this.tally.counts(this.servers, this.keys, this.next - 1);
  }

  /** A busy office VDI series (the first EMEA VDI server's biggest feature): server_id and feature_name. */
  busySeries(): { serverId: string; featureName: string } {
    return { serverId: this.servers[0]!.id, featureName: FEATURES[0].name };
  }

  /** active_leases series of `feature` that exist at some refresh in [fromMs, toMs]. */
  seriesOfFeatureBetween(feature: string, fromMs: number, toMs: number): number {
    const f = FEATURES.findIndex((x) => x.name === feature);
    const lo = Math.ceil((fromMs - this.firstMs) / this.intervalMs);
    const hi = Math.floor((toMs - this.firstMs) / this.intervalMs);
    return this.servers.filter((s) => s.sources[f] && s.from <= hi && s.until > lo).length;
  }
}
