/**
 * The series of the fleet model: a server feature (the source of every lease count), its server,
 * the pools that share it out, and the entitlement product keys its group's leases fill.
 */

import { type Rng, randInt, uuid } from "../../src/sim/random.ts";
import type { ServerLabels } from "../../src/snapshot/labels.ts";
import type { EntitlementRow, PoolRow, ServerFeatureRow, ServerRow } from "../../src/snapshot/types.ts";
import { type AddEvent, computeDay, type DaySource, deskDay } from "./fleet-days.ts";
import { FEATURES, type Group, MINUTES_PER_DAY, type Profile, type Role, SHAPES } from "./fleet-plan.ts";

/** What a series is: value and capacity now, and the last ones reported (for counting changes). */
export class Tracked {
  lastValue = Number.NaN;
  lastCapacity = Number.NaN;
  constructor(
    readonly kind: "active_leases" | "entitlement_in_use" | "pool_in_use",
    readonly profile: string,
  ) {}
}

/** A server feature: the source of every lease count. */
export class Source extends Tracked implements DaySource {
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
    const midnight = day * MINUTES_PER_DAY - this.server.group.tz;
    const add: AddEvent = (localMin, d) => out.push({ m: midnight + Math.round(localMin), d });
    const date = new Date(day * 86_400_000);
    if (this.profile === "compute") computeDay(this, date, add);
    else deskDay(this, date, add);
  }
}

export class Server {
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

export class PoolFeature extends Tracked {
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

export class ProductKey extends Tracked {
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
