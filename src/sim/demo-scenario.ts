/**
 * The demo's org: lic-example plus what the status page and the renewal report are for. Only the
 * demo loads it; tests that compare lic-example's numbers keep loading lic-example unchanged.
 *
 * - "NVIDIA AI Enterprise" in the default group (server dls-dc-east, 16 seats, entitled 16 by
 *   PK-4101-03) follows a daily curve (UTC): 3 leases at night, climbing from 06:00, all 16 from
 *   11:00 to 13:00, back down by 20:00. So the feature reaches capacity for two hours every day.
 * - Product keys ending soon, relative to the clock the scenario is made at: PK-4102-02 (AI
 *   Enterprise in VFX-Studio) in 20 days, PK-4101-01 (RTX Virtual Workstation in the default group,
 *   no renewal bought) in 5 days.
 */
import { followCurves } from "./daily-curve.ts";
import { recompute } from "./derive.ts";
import { loadScenario } from "./fixtures.ts";
import { countLeases, type DailyCurve, type SimModel } from "./model.ts";
import { mulberry32, type Rng } from "./random.ts";

const DAY_MS = 86_400_000;

export const DEMO_CURVE: DailyCurve = {
  vgId: 4101,
  serverId: "0c435aa3-16bf-537f-b81a-6b259c7749a0",
  serverFeatureId: "b3a20dff-14db-513d-b3b1-2cf39f97a7c8",
  poolId: "f268f8d5-29e1-5699-83b7-03e77da7ea66",
  night: 3,
  peak: 16,
  nightEndsHour: 6,
  peakStartsHour: 11,
  peakEndsHour: 13,
  nightStartsHour: 20,
};

/** Product keys whose end date the demo moves close to its start, in days from then. */
export const DEMO_EXPIRING_KEYS: Readonly<Record<string, number>> = { "PK-4102-02": 20, "PK-4101-01": 5 };

export interface DemoClock {
  /** The simulator's clock when the demo starts: the expiring keys' end dates count from it. */
  startedAt: number;
  /** The time the model is made for (the daily curve's hour); `startedAt` by default, earlier for the back-fill. */
  at?: number;
  rng?: Rng;
}

/** The demo org at `at`, with its key dates set from `startedAt`. */
export function demoScenario({ startedAt, at = startedAt, rng = mulberry32(1) }: DemoClock): SimModel {
  const model = loadScenario("lic-example");
  for (const vg of model.virtualGroups) {
    for (const ent of vg.entitlements ?? []) {
      for (const key of ent.entitlementProductKeys) {
        const days = DEMO_EXPIRING_KEYS[key.emsProductKeyId];
        if (days === undefined) continue;
        const end = new Date(startedAt + days * DAY_MS).toISOString().replace(/\.\d{3}Z$/, "Z");
        for (const f of key.entitlementFeatures) f.endDate = end;
      }
    }
  }
  model.dailyCurves = [DEMO_CURVE];
  // Churn gravitates to the other features' lease count: the curve's leases are not churn's.
  followCurves(model, at, rng);
  recompute(model);
  model.baselineLeases = countLeases(model) - curveLeases(model);
  return model;
}

function curveLeases(model: SimModel): number {
  let n = 0;
  for (const a of model.assignments.values()) if (model.dailyCurves.some((c) => c.serverFeatureId === a.serverFeatureId)) n++;
  return n;
}
