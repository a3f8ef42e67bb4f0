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
 */

import { mulberry32, type Rng, randInt, uuid } from "../src/sim/random.ts";
import type { ServerLabels } from "../src/snapshot/labels.ts";
import type { EntitlementRow, PoolRow, ServerFeatureRow, ServerRow, Snapshot } from "../src/snapshot/types.ts";

export interface FleetOptions {
  orgName: string;
  seed: number;
  /** collectedAt of refresh 0, ms since epoch. */
  firstMs: number;
  refreshes: number;
  intervalMs?: number;
  /** Every series changes on every refresh (2 × value + parity): the worst case for the writer. */
  worst?: boolean;
}

export type Profile = "office" | "engineering" | "light" | "compute" | "idle";
type Role = "vdi" | "engineering" | "compute";

const MINUTES_PER_DAY = 1_440;

export const FEATURES = [
  { name: "NVIDIA Virtual PC", version: "17.0" },
  { name: "NVIDIA Virtual Applications", version: "17.0" },
  { name: "NVIDIA RTX Virtual Workstation", version: "17.0" },
  { name: "NVIDIA AI Enterprise", version: "5.0" },
  { name: "NVIDIA vCompute Server", version: "17.0" },
  { name: "NVIDIA Omniverse Enterprise", version: "2024.1" },
  { name: "GRID Virtual PC", version: "13.0" },
  { name: "GRID Virtual Applications", version: "13.0" },
  { name: "Quadro Virtual Data Center Workstation", version: "13.0" },
  { name: "NVIDIA AI Enterprise Essentials", version: "5.0" },
] as const;

/** Per role, the profile of each of the 10 features and its seat range [min, max] (users, or GPUs for compute). */
const ROLES: Record<Role, { features: [Profile, number, number][]; pools: number[] }> = {
  vdi: {
    features: [
      ["office", 60, 120],
      ["office", 20, 50],
      ["light", 1, 6],
      ["compute", 2, 8],
      ["idle", 0, 0],
      ["light", 1, 6],
      ["office", 8, 20],
      ["light", 1, 6],
      ["light", 1, 6],
      ["idle", 0, 0],
    ],
    pools: [0, 1, 6],
  },
  engineering: {
    features: [
      ["light", 1, 6],
      ["light", 1, 6],
      ["engineering", 15, 35],
      ["compute", 2, 8],
      ["idle", 0, 0],
      ["engineering", 3, 10],
      ["idle", 0, 0],
      ["light", 1, 6],
      ["engineering", 3, 10],
      ["idle", 0, 0],
    ],
    pools: [2, 5, 8],
  },
  compute: {
    features: [
      ["light", 1, 6],
      ["idle", 0, 0],
      ["light", 1, 6],
      ["compute", 4, 24],
      ["compute", 2, 16],
      ["light", 1, 6],
      ["idle", 0, 0],
      ["idle", 0, 0],
      ["idle", 0, 0],
      ["compute", 2, 16],
    ],
    pools: [3, 4, 9],
  },
};

/** Session shapes, hours local time. */
interface Shape {
  attend: number;
  persistent: number;
  loginMean: number;
  loginSd: number;
  loginMin: number;
  loginMax: number;
  logoutMean: number;
  logoutSd: number;
  minStayH: number;
  overnight: number;
  lunch: number;
  /** Ad-hoc weekday sessions per non-persistent user, and their mean length in minutes. */
  extra: number;
  extraMeanMin: number;
  weekend: number;
}

const SHAPES: Record<"office" | "engineering" | "light", Shape> = {
  office: {
    attend: 0.85,
    persistent: 0.15,
    loginMean: 8.5,
    loginSd: 0.67,
    loginMin: 6,
    loginMax: 11,
    logoutMean: 17.25,
    logoutSd: 1,
    minStayH: 2,
    overnight: 0.04,
    lunch: 0.1,
    extra: 0.15,
    extraMeanMin: 60,
    weekend: 0.04,
  },
  engineering: {
    attend: 0.8,
    persistent: 0.3,
    loginMean: 9,
    loginSd: 1,
    loginMin: 6.5,
    loginMax: 12,
    logoutMean: 18.5,
    logoutSd: 1.5,
    minStayH: 3,
    overnight: 0.12,
    lunch: 0.05,
    extra: 0.1,
    extraMeanMin: 120,
    weekend: 0.06,
  },
  light: {
    attend: 0.5,
    persistent: 0,
    loginMean: 9,
    loginSd: 1,
    loginMin: 6.5,
    loginMax: 12,
    logoutMean: 17,
    logoutSd: 1.2,
    minStayH: 1,
    overnight: 0.03,
    lunch: 0.05,
    extra: 0.05,
    extraMeanMin: 60,
    weekend: 0.02,
  },
};

interface Group {
  id: string;
  name: string;
  /** Minutes to add to UTC for local time (no daylight saving). */
  tz: number;
  holidays: Set<string>;
  summer: number;
}

const GROUPS: Omit<Group, "holidays">[] = [
  { id: "5001", name: "EMEA", tz: 60, summer: 0.7 },
  { id: "5002", name: "US-East", tz: -300, summer: 0.8 },
  { id: "5003", name: "US-West", tz: -480, summer: 0.8 },
  { id: "5004", name: "APAC", tz: 480, summer: 0.9 },
];
const HOLIDAYS: Record<string, string[]> = {
  EMEA: ["01-01", "04-18", "04-21", "05-01", "05-29", "06-09", "10-03", "12-25", "12-26"],
  "US-East": ["01-01", "01-20", "02-17", "05-26", "07-04", "09-01", "11-27", "11-28", "12-25"],
  "US-West": ["01-01", "01-20", "02-17", "05-26", "07-04", "09-01", "11-27", "11-28", "12-25"],
  APAC: ["01-01", "01-29", "01-30", "01-31", "04-04", "05-01", "10-01", "10-02", "12-25"],
};

/** Servers: [group index, role, joins at fraction of span (0 = from the start), leaves at fraction (1 = stays)]. */
const SERVER_PLAN: [number, Role, number, number][] = [
  ...Array.from({ length: 6 }, (): [number, Role, number, number] => [0, "vdi", 0, 1]),
  [0, "engineering", 0, 1],
  [0, "engineering", 0.8, 1],
  [0, "compute", 0, 1],
  [0, "compute", 0, 1],
  [0, "vdi", 0, 0.4],
  ...Array.from({ length: 4 }, (): [number, Role, number, number] => [1, "vdi", 0, 1]),
  [1, "engineering", 0, 1],
  [1, "engineering", 0, 1],
  [1, "compute", 0, 1],
  [1, "compute", 0, 1],
  [1, "compute", 0, 0.65],
  [2, "vdi", 0, 1],
  [2, "vdi", 0, 1],
  [2, "vdi", 0.52, 1],
  [2, "engineering", 0, 1],
  [2, "compute", 0, 1],
  [2, "compute", 0, 1],
  ...Array.from({ length: 3 }, (): [number, Role, number, number] => [3, "vdi", 0, 1]),
  [3, "engineering", 0, 1],
  [3, "compute", 0, 1],
  [3, "compute", 0.2, 1],
];
/** The server (index in SERVER_PLAN) renamed at this fraction of the span. */
const RENAMED: [number, number] = [1, 0.55];

/** What a series is: value and capacity now, and the last ones reported (for counting changes). */
class Tracked {
  lastValue = Number.NaN;
  lastCapacity = Number.NaN;
  constructor(
    readonly kind: "active_leases" | "entitlement_in_use" | "pool_in_use",
    readonly profile: string,
  ) {}
}

/** A server feature: the source of every lease count. */
class Source extends Tracked {
  count = 0;
  planned = 0;
  total: number;
  nextDay = Number.NaN;
  private events: { m: number; d: number }[] = [];
  private head = 0;
  readonly persistent: number;

  constructor(
    readonly server: Server,
    readonly feature: number,
    profile: Profile,
    readonly seats: number,
    readonly rng: Rng,
  ) {
    super("active_leases", profile);
    const shape = profile === "compute" || profile === "idle" ? undefined : SHAPES[profile];
    this.persistent = shape ? Math.round(seats * shape.persistent) : 0;
    this.total =
      profile === "idle"
        ? randInt(rng, 2, 20)
        : profile === "compute"
          ? seats + randInt(rng, 2, 8)
          : Math.ceil(seats * (1.05 + 0.35 * rng())) + 1;
  }

  labels!: ServerFeatureRow["labels"];

  labelsChanged(): void {
    const f = FEATURES[this.feature]!;
    this.labels = { ...this.server.labels, feature_name: f.name, product_name: f.name, license_type: "CONCURRENT" };
  }

  get value(): number {
    return Math.max(0, Math.min(this.count, this.total));
  }

  /** Starts the series when its server joins (or at refresh 0). */
  begin(minute: number): void {
    this.count = this.profile === "compute" ? this.seats : this.persistent;
    this.planned = this.count;
    this.nextDay = Math.floor((minute + this.server.group.tz) / MINUTES_PER_DAY);
  }

  /** Brings the lease count to absolute minute `minute`. */
  advance(minute: number): void {
    const day = Math.floor((minute + this.server.group.tz) / MINUTES_PER_DAY);
    if (day >= this.nextDay) {
      const fresh: { m: number; d: number }[] = [];
      for (let d = this.nextDay; d <= day; d++) this.generate(d, fresh);
      this.nextDay = day + 1;
      if (fresh.length > 0) {
        this.events = this.events
          .slice(this.head)
          .concat(fresh)
          .sort((a, b) => a.m - b.m);
        this.head = 0;
      }
    }
    const ev = this.events;
    while (this.head < ev.length && ev[this.head]!.m <= minute) this.count += ev[this.head++]!.d;
  }

  private generate(day: number, out: { m: number; d: number }[]): void {
    if (this.profile === "idle") return;
    const g = this.server.group;
    const midnight = day * MINUTES_PER_DAY - g.tz;
    const date = new Date(day * 86_400_000);
    const dow = date.getUTCDay();
    const weekend = dow === 0 || dow === 6;
    const rng = this.rng;
    const add = (localMin: number, d: number) => out.push({ m: midnight + Math.round(localMin), d });
    if (this.profile === "compute") {
      // Monthly maintenance night (first Sunday, 02:00): VMs go down in waves and come back.
      if (dow === 0 && date.getUTCDate() <= 7 && this.planned > 0) {
        const waves = randInt(rng, 1, 3);
        let t = 120 + rng() * 30;
        const level = this.planned;
        let left = level;
        for (let w = 0; w < waves; w++) {
          const n = w === waves - 1 ? left : Math.ceil(level / waves);
          add(t, -n);
          add(t + 10 + rng() * 30, n);
          left -= n;
          t += 3 + rng() * 8;
        }
      }
      if (rng() < (weekend ? 1 / 40 : 1 / 8)) {
        let t = 9 * 60 + rng() * 8 * 60;
        const dir = this.planned <= 1 ? 1 : this.planned >= this.total - 1 ? -1 : rng() < 0.5 ? 1 : -1;
        for (let k = randInt(rng, 1, 4); k > 0; k--) {
          const delta = Math.max(-this.planned, dir * randInt(rng, 1, 2));
          if (delta === 0) break;
          add(t, delta);
          this.planned += delta;
          t += 1 + rng() * 9;
        }
      }
      return;
    }
    const shape = SHAPES[this.profile as "office" | "engineering" | "light"];
    const users = this.seats - this.persistent;
    const mmdd = date.toISOString().slice(5, 10);
    const month = date.getUTCMonth();
    const factor = g.holidays.has(mmdd)
      ? 0.05
      : (month === 11 && date.getUTCDate() >= 24) || (month === 0 && date.getUTCDate() <= 2)
        ? 0.25
        : month === 6 || month === 7
          ? g.summer
          : 1;
    const session = (start: number, minutes: number) => {
      add(start, 1);
      add(start + Math.max(5, minutes), -1);
    };
    if (!weekend) {
      for (let u = 0; u < users; u++) {
        if (rng() >= shape.attend * factor) continue;
        const login = clamp(normal(rng, shape.loginMean, shape.loginSd), shape.loginMin, shape.loginMax) * 60;
        let logout = clamp(normal(rng, shape.logoutMean, shape.logoutSd), login / 60 + shape.minStayH, 23.9) * 60;
        if (rng() < shape.overnight) logout += MINUTES_PER_DAY;
        add(login, 1);
        if (rng() < shape.lunch) {
          const out = normal(rng, 12.25, 0.33) * 60;
          if (out > login + 30 && out < logout - 90) {
            add(out, -1);
            add(out + 20 + rng() * 40, 1);
          }
        }
        add(logout, -1);
      }
      for (let k = poisson(rng, shape.extra * users * factor); k > 0; k--)
        session(8 * 60 + rng() * 600, exponential(rng, shape.extraMeanMin));
    } else {
      for (let k = poisson(rng, shape.weekend * this.seats); k > 0; k--) session(8 * 60 + rng() * 720, exponential(rng, 120));
    }
    // Persistent desktops reboot after patching, on the second Saturday night of the month.
    if (dow === 6 && date.getUTCDate() >= 8 && date.getUTCDate() <= 14) {
      for (let p = 0; p < this.persistent; p++) {
        const t = 60 + rng() * 120;
        add(t, -1);
        add(t + 2 + rng() * 4, 1);
      }
    }
  }
}

class Server {
  readonly id: string;
  name: string;
  labels!: ServerLabels;
  infoLabels!: ServerRow["labels"];
  readonly sources: Source[] = [];
  readonly pools: PoolFeature[] = [];
  constructor(
    readonly index: number,
    readonly group: Group,
    readonly role: Role,
    readonly from: number,
    readonly until: number,
    rng: Rng,
    ordinal: number,
  ) {
    this.id = uuid(rng);
    this.name = `cls-${group.name.toLowerCase()}-${role}-${String(ordinal).padStart(2, "0")}`;
    this.relabel();
  }

  relabel(): void {
    const g = this.group;
    this.labels = { virtual_group_id: g.id, virtual_group_name: g.name, server_id: this.id, server_name: this.name };
    this.infoLabels = {
      ...this.labels,
      status: "ENABLED",
      deployed_on: this.role === "compute" ? "ON_PREMISES" : "CLOUD",
      leasing_mode: "STANDARD",
    };
    for (const s of this.sources) s.labelsChanged();
    for (const p of this.pools) p.labelsChanged();
  }
}

class PoolFeature extends Tracked {
  labels!: PoolRow["labels"];
  allotment = 0;
  inUse = 0;
  constructor(
    readonly server: Server,
    readonly source: Source,
    readonly poolId: string,
    readonly poolName: string,
    /** undefined: the pool holds the whole feature; else this pool's share and whether it fills first. */
    readonly split: { share: number; first: boolean } | undefined,
  ) {
    super("pool_in_use", "pool");
    this.labelsChanged();
  }

  labelsChanged(): void {
    this.labels = {
      ...this.server.labels,
      pool_id: this.poolId,
      pool_name: this.poolName,
      feature_name: FEATURES[this.source.feature]!.name,
    };
  }

  update(): void {
    const total = this.source.total;
    const value = this.source.value;
    if (!this.split) {
      this.allotment = total;
      this.inUse = value;
      return;
    }
    const firstAllot = Math.ceil(total * this.split.share);
    this.allotment = this.split.first ? firstAllot : total - firstAllot;
    this.inUse = this.split.first ? Math.min(value, firstAllot) : Math.min(Math.max(0, value - firstAllot), total - firstAllot);
  }
}

class ProductKey extends Tracked {
  labels: EntitlementRow["labels"];
  inUse = 0;
  constructor(
    readonly group: Group,
    readonly feature: number,
    readonly entitlementId: string,
    readonly keyId: string,
    public total: number,
    /** Refresh index range in which the key exists. */
    readonly from: number,
    public until: number,
    public end: number,
  ) {
    super("entitlement_in_use", "entitlement");
    const f = FEATURES[feature]!;
    this.labels = {
      virtual_group_id: group.id,
      virtual_group_name: group.name,
      feature_name: f.name,
      feature_version: f.version,
      product_name: f.name,
      license_type: "CONCURRENT",
      ems_entitlement_id: entitlementId,
      ems_product_key_id: keyId,
    };
  }
}

export interface FleetCounts {
  /** Series present at the last refresh, by kind. */
  present: Record<string, number>;
  /** Distinct series over the span, by kind. */
  distinct: Record<string, number>;
  /** By profile: series present at the end, series-days observed, value or capacity changes (a new series counts as one). */
  profiles: Record<string, { present: number; seriesDays: number; changes: number }>;
}

export class Fleet {
  readonly groups: Group[];
  readonly servers: Server[] = [];
  readonly keys: ProductKey[] = [];
  /** Series whose value or capacity changed in the last snapshot (new series included). */
  changes = 0;
  private readonly interval: number;
  private readonly actions = new Map<number, (() => void)[]>();
  private readonly profileStats = new Map<string, { present: number; seriesDays: number; changes: number }>();
  private next = 0;

  constructor(private readonly opts: FleetOptions) {
    this.interval = opts.intervalMs ?? 60_000;
    const rng = mulberry32(opts.seed);
    const stream = (k: number) => mulberry32((opts.seed * 0x9e3779b1 + k * 0x85ebca6b) >>> 0);
    this.groups = GROUPS.map((g) => ({ ...g, holidays: new Set(HOLIDAYS[g.name]) }));
    const n = opts.refreshes;
    const at = (fraction: number) => (fraction <= 0 ? 0 : fraction >= 1 ? n : Math.floor(fraction * n));
    const ordinals = new Map<string, number>();
    SERVER_PLAN.forEach(([gi, role, join, leave], index) => {
      const group = this.groups[gi]!;
      const key = `${gi}/${role}`;
      ordinals.set(key, (ordinals.get(key) ?? 0) + 1);
      const server = new Server(index, group, role, at(join), at(leave), rng, ordinals.get(key)!);
      ROLES[role].features.forEach(([profile, lo, hi], f) => {
        const srng = stream(index * 16 + f);
        const seats = profile === "idle" ? 0 : randInt(srng, lo, hi);
        const source = new Source(server, f, profile, seats, srng);
        source.labelsChanged();
        server.sources.push(source);
      });
      const pool = uuid(rng);
      for (const f of ROLES[role].pools) {
        const source = server.sources[f]!;
        const split = index % 3 === 0 && f === ROLES[role].pools[0] ? { share: 0.6, first: true } : undefined;
        server.pools.push(new PoolFeature(server, source, pool, "default", split));
      }
      if (index % 3 === 0) {
        const f = ROLES[role].pools[0]!;
        server.pools.push(
          new PoolFeature(server, server.sources[f]!, uuid(rng), role === "compute" ? "batch" : "interactive", {
            share: 0.6,
            first: false,
          }),
        );
      }
      this.servers.push(server);
    });
    this.planCapacity(rng, stream);
    this.planKeys(rng);
    const [renamed, when] = RENAMED;
    this.schedule(at(when), () => {
      const s = this.servers[renamed]!;
      s.name = `${s.name}-fra`;
      s.relabel();
    });
  }

  private schedule(i: number, fn: () => void): void {
    if (i < 0 || i >= this.opts.refreshes) return;
    const list = this.actions.get(i) ?? [];
    list.push(fn);
    this.actions.set(i, list);
  }

  /** Re-allotments of server feature totals, ~1.5 a year per used feature (0.5 for idle ones). */
  private planCapacity(rng: Rng, stream: (k: number) => Rng): void {
    const years = (this.opts.refreshes * this.interval) / (365 * 86_400_000);
    for (const server of this.servers) {
      for (const source of server.sources) {
        const r = stream(10_000 + server.index * 16 + source.feature);
        for (let k = poisson(r, (source.profile === "idle" ? 0.5 : 1.5) * years); k > 0; k--) {
          const i = Math.floor(r() * this.opts.refreshes);
          const factor = 0.9 + 0.35 * r();
          this.schedule(i, () => {
            const floor = source.profile === "idle" ? 1 : Math.max(source.planned, source.seats) + 1;
            source.total = Math.max(floor, Math.round(source.total * factor));
          });
        }
      }
    }
    void rng;
  }

  /**
   * Product keys per group and feature: 1–3 (one more for the four busiest features), splitting the
   * seats of the group's servers plus 10–35 % spare. Each key renews once in the span: 60 % as it was
   * (only its end date moves), 25 % with more seats, 15 % under a new key id. Four add-on keys are bought.
   */
  private planKeys(rng: Rng): void {
    const n = this.opts.refreshes;
    const spanS = (n * this.interval) / 1000;
    const startS = this.opts.firstMs / 1000;
    let keyNo = 0;
    const newKey = (g: Group, f: number, ent: string, total: number, from: number, until: number) => {
      keyNo++;
      const key = new ProductKey(
        g,
        f,
        ent,
        `PK-${g.id}-${String(keyNo).padStart(4, "0")}`,
        total,
        from,
        until,
        Math.round(startS + rng() * spanS),
      );
      this.keys.push(key);
      return key;
    };
    for (const g of this.groups) {
      const ent = `EMS-ENT-${g.id}-${uuid(rng).slice(0, 8)}`;
      for (let f = 0; f < FEATURES.length; f++) {
        let seats = 0;
        for (const s of this.servers) if (s.group === g) seats += s.sources[f]!.total;
        if (seats === 0) continue;
        const count = 1 + randInt(rng, 0, 2) + (f <= 3 ? 1 : 0);
        const all = Math.ceil(seats * (1.1 + 0.25 * rng()));
        const weights = Array.from({ length: count }, () => 0.5 + rng());
        const sum = weights.reduce((a, b) => a + b, 0);
        let left = all;
        weights.forEach((w, k) => {
          const total = k === count - 1 ? left : Math.max(1, Math.round((all * w) / sum));
          left -= total;
          const key = newKey(g, f, ent, Math.max(1, total), 0, n);
          const renewAt = Math.floor(((key.end - startS) / spanS) * n);
          const roll = rng();
          const grow = 1.05 + 0.25 * rng();
          this.schedule(renewAt, () => {
            key.end += 365 * 86_400;
            if (roll < 0.6) return;
            if (roll < 0.85) {
              key.total = Math.round(key.total * grow);
              return;
            }
            key.until = renewAt;
            const successor = newKey(g, f, ent, key.total, renewAt, n);
            successor.end = key.end;
          });
        });
      }
    }
    for (let a = 0; a < 4; a++) {
      const g = this.groups[randInt(rng, 0, this.groups.length - 1)]!;
      const f = randInt(rng, 0, 3);
      const i = Math.floor(rng() * n);
      const total = randInt(rng, 10, 40);
      this.schedule(i, () => void newKey(g, f, `EMS-ENT-${g.id}-addon${a + 1}`, total, i, n));
    }
  }

  /** The snapshot of refresh `i`; call with 0, 1, 2, … */
  snapshot(i: number): Snapshot {
    if (i !== this.next) throw new Error(`fleet: snapshot ${i} requested, expected ${this.next}`);
    this.next++;
    const collectedAt = this.opts.firstMs + i * this.interval;
    const minute = Math.floor(collectedAt / 60_000);
    for (const fn of this.actions.get(i) ?? []) fn();
    this.actions.delete(i);
    const worst = this.opts.worst === true;
    const parity = i & 1;
    const v = (x: number) => (worst ? 2 * x + parity : x);
    this.changes = 0;
    const serverFeatures: ServerFeatureRow[] = [];
    const servers: Snapshot["servers"] = [];
    const pools: PoolRow[] = [];
    /** `${group}/${feature}` → leases summed over the group's servers. */
    const sums = new Map<string, number>();
    for (const server of this.servers) {
      if (i < server.from || i >= server.until) continue;
      servers.push({ labels: server.infoLabels });
      for (const s of server.sources) {
        if (i === server.from) s.begin(minute);
        s.advance(minute);
        const value = s.value;
        serverFeatures.push({ labels: s.labels, total: s.total, active: v(value) });
        this.track(s, v(value), s.total);
        const k = `${server.group.id}/${s.feature}`;
        sums.set(k, (sums.get(k) ?? 0) + value);
      }
      for (const p of server.pools) {
        p.update();
        pools.push({ labels: p.labels, allotment: p.allotment, inUse: v(p.inUse) });
        this.track(p, v(p.inUse), p.allotment);
      }
    }
    const entitlements: EntitlementRow[] = [];
    const left = new Map(sums);
    for (const key of this.keys) {
      if (i < key.from || i >= key.until) continue;
      const k = `${key.group.id}/${key.feature}`;
      const remaining = left.get(k) ?? 0;
      key.inUse = Math.min(remaining, key.total);
      left.set(k, remaining - key.inUse);
      entitlements.push({ labels: key.labels, total: key.total, inUse: v(key.inUse), unassigned: key.total - key.inUse, end: key.end });
      this.track(key, v(key.inUse), key.total);
    }
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

  private track(t: Tracked, value: number, capacity: number): void {
    let st = this.profileStats.get(t.profile);
    if (!st) this.profileStats.set(t.profile, (st = { present: 0, seriesDays: 0, changes: 0 }));
    st.seriesDays += this.interval / 86_400_000;
    if (value !== t.lastValue || capacity !== t.lastCapacity) {
      st.changes++;
      this.changes++;
      t.lastValue = value;
      t.lastCapacity = capacity;
    }
  }

  counts(): FleetCounts {
    const last = this.next - 1;
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
    for (const s of this.servers) {
      const alive = last >= s.from && last < s.until;
      const seen = s.from <= last;
      for (const src of s.sources) see(src, alive, seen);
      for (const p of s.pools) see(p, alive, seen);
    }
    for (const k of this.keys) see(k, last >= k.from && last < k.until, k.from <= last && k.until > k.from);
    return { present, distinct, profiles };
  }

  /** A busy office VDI series (the first EMEA VDI server's biggest feature): server_id and feature_name. */
  busySeries(): { serverId: string; featureName: string } {
    return { serverId: this.servers[0]!.id, featureName: FEATURES[0].name };
  }

  /** active_leases series of `feature` that exist at some refresh in [fromMs, toMs]. */
  seriesOfFeatureBetween(feature: string, fromMs: number, toMs: number): number {
    const f = FEATURES.findIndex((x) => x.name === feature);
    const lo = Math.ceil((fromMs - this.opts.firstMs) / this.interval);
    const hi = Math.floor((toMs - this.opts.firstMs) / this.interval);
    return this.servers.filter((s) => s.sources[f] && s.from <= hi && s.until > lo).length;
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, x));
}

function normal(rng: Rng, mean: number, sd: number): number {
  const u = 1 - rng();
  return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

function exponential(rng: Rng, mean: number): number {
  return -Math.log(1 - rng()) * mean;
}

function poisson(rng: Rng, lambda: number): number {
  if (lambda <= 0) return 0;
  const l = Math.exp(-lambda);
  let k = 0;
  let p = rng();
  while (p > l && k < 1_000) {
    k++;
    p *= rng();
  }
  return k;
}
