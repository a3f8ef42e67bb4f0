/**
 * Capacity over the span of the fleet model: re-allotments of server feature totals, and the
 * entitlement product keys of each group with their renewals and add-ons. Both are scheduled at
 * construction, drawn in a fixed order from the fleet's streams.
 */

import { type Rng, randInt, uuid } from "../../src/sim/random.ts";
import { poisson } from "./distributions.ts";
import { FEATURES, type Group } from "./fleet-plan.ts";
import { ProductKey, type Server } from "./fleet-series.ts";

/** What planning needs of the fleet: its parts, its span, and a way to run a change at refresh `i`. */
export interface CapacityPlan {
  readonly groups: Group[];
  readonly servers: Server[];
  readonly keys: ProductKey[];
  readonly refreshes: number;
  readonly intervalMs: number;
  readonly firstMs: number;
  schedule(i: number, fn: () => void): void;
}

/** Re-allotments of server feature totals, ~1.5 a year per used feature (0.5 for idle ones). */
export function planCapacity(p: CapacityPlan, stream: (k: number) => Rng): void {
  const years = (p.refreshes * p.intervalMs) / (365 * 86_400_000);
  for (const server of p.servers) {
    for (const source of server.sources) {
      const r = stream(10_000 + server.index * 16 + source.feature);
      for (let k = poisson(r, (source.profile === "idle" ? 0.5 : 1.5) * years); k > 0; k--) {
        const i = Math.floor(r() * p.refreshes);
        const factor = 0.9 + 0.35 * r();
        p.schedule(i, () => {
          const floor = source.profile === "idle" ? 1 : Math.max(source.planned, source.seats) + 1;
          source.total = Math.max(floor, Math.round(source.total * factor));
        });
      }
    }
  }
}

type NewKey = (g: Group, f: number, ent: string, total: number, from: number, until: number) => ProductKey;

/**
 * Product keys per group and feature: 1–3 (one more for the four busiest features), splitting the
 * seats of the group's servers plus 10–35 % spare. Each key renews once in the span: 60 % as it was
 * (only its end date moves), 25 % with more seats, 15 % under a new key id. Four add-on keys are bought.
 */
export function planKeys(p: CapacityPlan, rng: Rng): void {
  const n = p.refreshes;
  const spanS = (n * p.intervalMs) / 1000;
  const startS = p.firstMs / 1000;
  let keyNo = 0;
  const newKey: NewKey = (g, f, ent, total, from, until) => {
    keyNo++;
    const id = `PK-${g.id}-${String(keyNo).padStart(4, "0")}`;
    const key = new ProductKey(g, f, ent, id, total, from, until, Math.round(startS + rng() * spanS));
    p.keys.push(key);
    return key;
  };
  for (const g of p.groups) {
    const ent = `EMS-ENT-${g.id}-${uuid(rng).slice(0, 8)}`;
    for (let f = 0; f < FEATURES.length; f++) planFeatureKeys(p, rng, newKey, g, f, ent);
  }
  for (let a = 0; a < 4; a++) {
    const g = p.groups[randInt(rng, 0, p.groups.length - 1)]!;
    const f = randInt(rng, 0, 3);
    const i = Math.floor(rng() * n);
    const total = randInt(rng, 10, 40);
    p.schedule(i, () => void newKey(g, f, `EMS-ENT-${g.id}-addon${a + 1}`, total, i, n));
  }
}

/** The keys of one group and feature, each with its renewal. */
function planFeatureKeys(p: CapacityPlan, rng: Rng, newKey: NewKey, g: Group, f: number, ent: string): void {
  const n = p.refreshes;
  const spanS = (n * p.intervalMs) / 1000;
  const startS = p.firstMs / 1000;
  let seats = 0;
  for (const s of p.servers) if (s.group === g) seats += s.sources[f]!.total;
  if (seats === 0) return;
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
    p.schedule(renewAt, () => {
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
