/**
 * Leases that follow the time of day: a feature quiet at night that climbs through the morning,
 * stays at capacity around midday and falls off in the evening, every day (UTC). Churn leaves these
 * features alone; after every tick, and for every point in time the back-fill evaluates, the
 * feature is brought to exactly the curve's count, so ground truth is a function of the clock.
 */
import { insertLease, removeLease } from "./leases.ts";
import { type DailyCurve, findServer, type SimModel } from "./model.ts";
import { type Rng, uuid } from "./random.ts";

const HOUR_MS = 3_600_000;

/** Leases the curve asks for at `nowMs`: linear ramps between night and peak, flat elsewhere. */
export function curveTarget(c: DailyCurve, nowMs: number): number {
  const h = (((nowMs % (24 * HOUR_MS)) + 24 * HOUR_MS) % (24 * HOUR_MS)) / HOUR_MS;
  const between = (from: number, to: number) => (h - from) / (to - from);
  let level: number;
  if (h < c.nightEndsHour || h >= c.nightStartsHour) level = 0;
  else if (h < c.peakStartsHour) level = between(c.nightEndsHour, c.peakStartsHour);
  else if (h < c.peakEndsHour) level = 1;
  else level = 1 - between(c.peakEndsHour, c.nightStartsHour);
  return Math.round(c.night + level * (c.peak - c.night));
}

/** Lease ids currently held on the curve's server feature (one client per lease, as inserted). */
function heldLeases(model: SimModel, c: DailyCurve): string[] {
  const ids: string[] = [];
  for (const [id, a] of model.assignments) if (a.serverFeatureId === c.serverFeatureId && a.vgId === c.vgId) ids.push(id);
  return ids;
}

/** Brings every curve's feature to its count at `nowMs`. The caller recomputes derived numbers. */
export function followCurves(model: SimModel, nowMs: number, rng: Rng): void {
  for (const c of model.dailyCurves) {
    const server = findServer(model, c.vgId, c.serverId);
    const feature = server?.licenseServerFeatures.find((f) => f.id === c.serverFeatureId);
    if (!server || !feature) throw new Error(`daily curve names an unknown server feature ${c.serverFeatureId}`);
    const held = heldLeases(model, c);
    const target = curveTarget(c, nowMs);
    for (let n = held.length; n < target; n++) {
      let id = uuid(rng);
      while (model.assignments.has(id)) id = uuid(rng);
      insertLease(model, { vgId: c.vgId, server, feature, poolId: c.poolId }, id);
    }
    for (const id of held.slice(target)) removeLease(model, c.vgId, id);
  }
}

/** Whether churn must leave this server feature to a curve. */
export function onCurve(model: SimModel, serverFeatureId: string | undefined): boolean {
  return serverFeatureId !== undefined && model.dailyCurves.some((c) => c.serverFeatureId === serverFeatureId);
}
