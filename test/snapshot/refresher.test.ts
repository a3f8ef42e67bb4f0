import { afterEach, describe, expect, test } from "bun:test";
import type { ClsClient } from "../../src/cls/client.ts";
import { ENDPOINT_NAMES, type EndpointName } from "../../src/cls/endpoints.ts";
import { ClsError, REFRESH_ERROR_REASONS } from "../../src/errors.ts";
import { createLogger, silentLogger } from "../../src/log.ts";
import { CATALOG, type View } from "../../src/render/catalog.ts";
import { renderCatalog } from "../../src/render/prometheus.ts";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import { createRefresher, type ExporterStats, newStats } from "../../src/snapshot/refresher.ts";
import type { Snapshot } from "../../src/snapshot/types.ts";
import { clientFor, KEY } from "../cls/harness.ts";
import { emptySnapshot } from "./fixture.ts";

let sim: Simulator | undefined;
afterEach(() => sim?.stop());

const REFRESH_ERRORS = CATALOG.find((m) => m.name === "nvidia_cls_refresh_errors_total")!;
const view = (stats: ExporterStats): View => ({ snapshot: undefined, stats, build: { version: "t", revision: "t", bunVersion: "t" } });
const samples = (stats: ExporterStats) => [...REFRESH_ERRORS.rows(view(stats))].map((s) => [s.labels.endpoint, s.labels.reason, s.value]);

/** A refresher over the simulator whose outcome lines are kept (JSON). */
function refresherFor(s: Simulator) {
  const stats = newStats();
  const lines: Record<string, unknown>[] = [];
  const { client, invalid } = clientFor(s, { stats });
  const log = createLogger({ write: (l) => lines.push(JSON.parse(l)), level: "debug", format: "json" });
  const refresh = createRefresher({ client, invalid, stats, parallelism: 8, timeoutMs: 5_000, now: Date.now, log });
  return { refresh, stats, lines };
}

describe("nvidia_cls_refresh_errors_total", () => {
  test("every endpoint × reason is exported at 0 before any failure", async () => {
    const stats = newStats();
    const want = ENDPOINT_NAMES.flatMap((e) => REFRESH_ERROR_REASONS.map((r) => [e, r, 0]));
    expect(samples(stats)).toEqual(want);
    expect(want).toHaveLength(4 * 10);
    const text = await renderCatalog([REFRESH_ERRORS], view(stats), "o", "text");
    expect(text).toContain('nvidia_cls_refresh_errors_total{endpoint="leases",reason="too_large",org_name="o"} 0');
    expect(text).toContain('nvidia_cls_refresh_errors_total{endpoint="virtual_groups",reason="5xx",org_name="o"} 0');
  });

  test("a failure moves its own pair only, under the status's class", async () => {
    sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: KEY });
    const { refresh, stats } = refresherFor(sim);
    sim.setFaults([{ endpoint: "license_pools", status: 502 }]);
    await refresh();
    const moved = samples(stats).filter(([, , value]) => value !== 0);
    expect(moved).toEqual([["license_pools", "5xx", 3]]);
    expect(samples(stats)).toHaveLength(40);
    // The exact status is what the request counter shows.
    expect(stats.requests.get("license_pools\n502")).toBe(3 * 4);
  });
});

describe("the refresh outcome line", () => {
  test("names the exact status as its reason while the counter has its class", async () => {
    sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: KEY });
    const { refresh, stats, lines } = refresherFor(sim);
    sim.setFaults([{ endpoint: "leases", status: 503 }]);
    await refresh();
    expect(lines.at(-1)).toMatchObject({
      msg: "refresh incomplete",
      endpoint: "leases",
      reason: "503",
      hint: "CLS had a server error; retried within the refresh",
    });
    expect(stats.refreshErrors.get("leases\n5xx")).toBe(3);
    sim.setFaults([{ endpoint: "license_servers", status: 418 }]);
    await refresh();
    expect(lines.at(-1)).toMatchObject({ endpoint: "license_servers", reason: "418", hint: expect.stringContaining("not retried") });
    expect(stats.refreshErrors.get("license_servers\n4xx")).toBe(2);
  });

  test.each<[EndpointName, string]>([
    ["virtual_groups", "this org: check NVIDIA_ORG_NAME"],
    ["license_servers", "this virtual group"],
    ["license_pools", "this license server"],
    ["leases", "this virtual group"],
  ])("a 404 of %s says what CLS does not know", async (endpoint, hint) => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger({ write: (l) => lines.push(JSON.parse(l)), format: "json" });
    const refresh = createRefresher({
      client: failingAt(endpoint, new ClsError("http", endpoint, "HTTP 404", 404)),
      invalid: new Map(),
      stats: newStats(),
      parallelism: 2,
      timeoutMs: 1_000,
      now: () => 0,
      log,
    });
    await refresh();
    expect(lines.at(-1)).toMatchObject({ endpoint, reason: "404", hint: expect.stringContaining(hint) });
  });

  test("a failure that is not a ClsError counts as decode", async () => {
    const stats = newStats();
    const refresh = createRefresher({
      client: failingAt("license_pools", new TypeError("boom")),
      invalid: new Map(),
      stats,
      parallelism: 2,
      timeoutMs: 1_000,
      now: () => 0,
      log: silentLogger,
    });
    await refresh();
    expect([...stats.refreshErrors]).toEqual([["license_pools\ndecode", 1]]);
  });
});

/** One group with one server on one instance; `endpoint` fails with `error`, the rest answers. */
function failingAt(endpoint: EndpointName, error: Error): ClsClient {
  const answers: Record<EndpointName, unknown[]> = {
    virtual_groups: [{ id: "1", name: "vg", entitlements: [] }],
    license_servers: [{ id: "s", serviceInstanceId: "i", features: [] }],
    license_pools: [],
    leases: [],
  };
  return {
    list: async (name) => {
      if (name === endpoint) throw error;
      return answers[name] as never;
    },
  };
}

/** A client whose org has no virtual groups. */
const emptyOrg: ClsClient = { list: async () => [] };

/** The refresher and a weak reference to the restored snapshot it was given, made out of the test's frame. */
function refresherWithRestored() {
  const initial: Snapshot = emptySnapshot({ up: false });
  const refresh = createRefresher({
    client: emptyOrg,
    invalid: new Map(),
    stats: newStats(),
    parallelism: 2,
    timeoutMs: 1_000,
    now: Date.now,
    log: silentLogger,
    initial,
  });
  return { refresh, restored: new WeakRef(initial) };
}

test("a snapshot restored from disk is released once the first refresh replaced it", async () => {
  const { refresh, restored } = refresherWithRestored();
  const fresh = await refresh();
  expect(fresh.up).toBe(true);
  await Bun.sleep(0);
  Bun.gc(true);
  expect(restored.deref()).toBeUndefined();
  expect(await refresh()).not.toBe(fresh);
});

describe("a refresh that fetches nothing at all", () => {
  const down: ClsClient = {
    list: async (name) => {
      throw new ClsError("http", name, "HTTP 503", 503);
    },
  };
  const refresherWith = (previous: (() => Snapshot | undefined) | undefined, initial: Snapshot | undefined) =>
    createRefresher({
      client: down,
      invalid: new Map(),
      stats: newStats(),
      parallelism: 2,
      timeoutMs: 1_000,
      now: () => 90_000,
      log: silentLogger,
      initial,
      previous,
    });

  test("re-serves the snapshot served now (a replica's: its leader's), with up 0, this refresh's failures and when it ended", async () => {
    const restoredAtStart = emptySnapshot({ up: false, collectedAt: 1_000 });
    const leaders = emptySnapshot({ up: true, collectedAt: 60_000 });
    const s = await refresherWith(() => leaders, restoredAtStart)();
    expect(s.collectedAt).toBe(60_000);
    expect(s.up).toBe(false);
    expect(s.refreshedAt).toBe(90_000);
    expect(s.failures.length).toBeGreaterThan(0);
  });

  test("without a snapshot served, re-serves the one it was started with", async () => {
    const restoredAtStart = emptySnapshot({ up: false, collectedAt: 1_000 });
    const s = await refresherWith(() => undefined, restoredAtStart)();
    expect([s.collectedAt, s.refreshedAt]).toEqual([1_000, 90_000]);
  });
});
