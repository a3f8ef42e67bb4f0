import { afterEach, describe, expect, test } from "bun:test";
import { curveTarget } from "../../src/sim/daily-curve.ts";
import { DEMO_CURVE, demoScenario } from "../../src/sim/demo-scenario.ts";
import { expected, expectedDemand, loadScenario, type Simulator, startSimulator } from "../../src/sim/index.ts";
import { API_KEY } from "./helpers.ts";

const DAY_MS = 86_400_000;
/** A fixed day, so the hours below are UTC hours whatever the machine's clock says. */
const DAY = Date.UTC(2026, 10, 2);
const at = (hour: number) => DAY + hour * 3_600_000;
const FEATURE = "NVIDIA AI Enterprise";

const demandOf = (model: ReturnType<typeof demoScenario>, nowMs: number) =>
  expectedDemand(model, nowMs).find((d) => d.vgId === DEMO_CURVE.vgId && d.featureName === FEATURE)!;

describe("demo scenario: a feature at capacity around midday (UTC)", () => {
  test("at midday the default group's AI Enterprise is at its 16 entitled seats, at night well below", () => {
    const noon = demoScenario({ startedAt: at(12) });
    expect(demandOf(noon, at(12))).toMatchObject({ inUse: 16, seats: 16 });
    const night = demoScenario({ startedAt: at(3) });
    expect(demandOf(night, at(3))).toMatchObject({ inUse: 3, seats: 16 });
  });

  test("the curve: night level, ramps, two hours at the pool's allotment", () => {
    const counts = Array.from({ length: 24 }, (_, h) => curveTarget(DEMO_CURVE, at(h)));
    expect(counts.slice(0, 6)).toEqual([3, 3, 3, 3, 3, 3]);
    const minutesFull = Array.from({ length: 1440 }, (_, m) => curveTarget(DEMO_CURVE, DAY + m * 60_000)).filter((n) => n === 16).length;
    // 11:00–13:00, widened by the rounding of the ramps to whole leases.
    expect(minutesFull).toBeGreaterThanOrEqual(120);
    expect(minutesFull).toBeLessThanOrEqual(180);
    expect(counts[11]).toBe(16);
    expect(counts[12]).toBe(16);
    expect(counts[9]!).toBeGreaterThan(3);
    expect(counts[9]!).toBeLessThan(16);
    expect(counts[20]).toBe(3);
    // Every day alike.
    expect(curveTarget(DEMO_CURVE, at(12) + 5 * DAY_MS)).toBe(16);
  });

  test("the server, pool and entitlement numbers follow the curve (the invariants hold)", () => {
    const model = demoScenario({ startedAt: at(12) });
    const e = expected(model);
    const server = e.serverFeatures.find((f) => f.serverFeatureId === DEMO_CURVE.serverFeatureId)!;
    expect(server).toMatchObject({ activeLeases: 16, totalQuantity: 16 });
    const pool = e.poolFeatures.find((p) => p.poolId === DEMO_CURVE.poolId && p.serverFeatureId === DEMO_CURVE.serverFeatureId);
    expect(pool).toMatchObject({ inUse: 16 });
    const key = e.entitlementFeatures.find((k) => k.emsProductKeyId === "PK-4101-03")!;
    expect(key).toMatchObject({ total: 16, inUse: 16 });
  });
});

describe("demo scenario: the simulator's ticks follow its injected clock", () => {
  let sim: Simulator | undefined;
  afterEach(async () => {
    await sim?.stop();
    sim = undefined;
  });

  test("churn leaves the curve's feature to the clock; /_sim/expected says what the clock asks", async () => {
    let now = at(3);
    sim = startSimulator({ scenario: demoScenario({ startedAt: now }), apiKey: API_KEY, seed: 7, now: () => now });
    sim.tick(20);
    expect(demandOf(sim.model, now).inUse).toBe(3);
    now = at(12);
    sim.tick();
    expect(demandOf(sim.model, now).inUse).toBe(16);
    const body = (await (await fetch(`${sim.url}/_sim/expected`)).json()) as ReturnType<typeof expected>;
    const server = body.serverFeatures.find((f) => f.serverFeatureId === DEMO_CURVE.serverFeatureId)!;
    expect(server.activeLeases).toBe(16);
    now = at(22);
    sim.tick(3);
    expect(demandOf(sim.model, now).inUse).toBe(3);
  });
});

describe("demo scenario: product keys ending soon", () => {
  test("PK-4102-02 ends 20 days and PK-4101-01 5 days after the start; every other key as in lic-example", () => {
    const startedAt = at(9) + 1234_000;
    const demo = expected(demoScenario({ startedAt })).entitlementFeatures;
    const base = expected(loadScenario("lic-example")).entitlementFeatures;
    const endOf = (rows: typeof demo, key: string) => rows.find((r) => r.emsProductKeyId === key)!.end;
    expect(endOf(demo, "PK-4102-02")).toBe(Math.floor(startedAt / 1000) + 20 * 86_400);
    expect(endOf(demo, "PK-4101-01")).toBe(Math.floor(startedAt / 1000) + 5 * 86_400);
    for (const key of ["PK-4101-02", "PK-4101-03", "PK-4102-01", "PK-4102-03"]) expect(endOf(demo, key)).toBe(endOf(base, key));
  });

  test("the expiring keys still count as seats bought at the start (active: start ≤ now < end)", () => {
    const startedAt = at(12);
    const vfx = expectedDemand(demoScenario({ startedAt }), startedAt).find((d) => d.vgId === 4102 && d.featureName === FEATURE)!;
    expect(vfx.seats).toBe(8);
  });

  test("lic-example itself has no daily curve", () => {
    expect(loadScenario("lic-example").dailyCurves).toEqual([]);
  });
});
