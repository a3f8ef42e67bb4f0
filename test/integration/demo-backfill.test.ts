import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { loadConfig } from "../../src/config/index.ts";
import { backfillDemo } from "../../src/demo-backfill.ts";
import { createLogger } from "../../src/log.ts";
import { DEMO_CURVE, demoScenario } from "../../src/sim/demo-scenario.ts";
import { mulberry32 } from "../../src/sim/random.ts";
import { HISTORY_KINDS, HistoryStore, maxGapSeconds } from "../../src/store/index.ts";
import { tempDir } from "../store/helpers.ts";

const HOUR_S = 3600;
const DAY_MS = 86_400_000;
const { dir, cleanup } = tempDir("cls-demo-backfill-");
afterAll(cleanup);

const path = join(dir, "demo.db");
// A longer TTL than the demo's makes rows join across fewer re-records, so the test stays small.
const config = loadConfig({
  env: { NVIDIA_API_KEY: "k", NVIDIA_ORG_NAME: "lic-example", NVIDIA_API_BASE_URL: "http://127.0.0.1:9", DB_PATH: path, CACHE_TTL: "60s" },
  argv: [],
  readFile: () => "",
  hostname: "test",
});
const lines: string[] = [];
const log = createLogger({ write: (l) => lines.push(l), level: "info" });
const untilMs = Math.floor(Date.now() / (HOUR_S * 1000)) * HOUR_S * 1000;
const SPAN_MS = 8 * DAY_MS;

function openStore(at = path): HistoryStore {
  return new HistoryStore({
    path: at,
    orgName: config.orgName,
    maxGapS: maxGapSeconds(config.cacheTtlMs, config.scrapeTimeoutMs),
    rawRetentionS: 30 * 86_400,
    retentionS: 365 * 86_400,
    now: () => untilMs,
    log,
  });
}

function run(store: HistoryStore, seed = 3) {
  const rng = mulberry32(seed);
  return backfillDemo({
    store,
    config,
    log,
    build: { version: "0", revision: "test", bunVersion: Bun.version },
    model: demoScenario({ startedAt: untilMs, at: untilMs - SPAN_MS, rng }),
    apiKey: "k",
    rng,
    untilMs,
    spanMs: SPAN_MS,
    stepMs: 30 * 60_000,
  });
}

const lastWeek = { from: untilMs / 1000 - 7 * 86_400, to: untilMs / 1000, step: HOUR_S };

describe("demo back-fill into a real SQLite file", () => {
  test("a first start writes weeks of every history kind, continuous, with the daily capacity pattern", async () => {
    const store = openStore();
    const result = await run(store);
    expect(result).toMatchObject({ snapshots: 8 * 48 + 1, failed: 0 });
    expect(lines.filter((l) => l.includes("demo history back-filled"))).toHaveLength(1);
    for (const kind of HISTORY_KINDS) {
      const answer = await store.query({ kind, filter: {}, ...lastWeek });
      expect(answer.series.length).toBeGreaterThan(0);
      expect(answer.series.some((s) => s.points.length > 0)).toBe(true);
    }
    const curve = await store.query({
      kind: "active_leases",
      filter: { server_id: DEMO_CURVE.serverId, feature_name: "NVIDIA AI Enterprise" },
      ...lastWeek,
    });
    expect(curve.series).toHaveLength(1);
    const points = curve.series[0]!.points;
    const hours = new Set(points.map((p) => p.t));
    for (let t = lastWeek.from; t < lastWeek.to; t += HOUR_S) expect(hours.has(t)).toBe(true);
    // Joined rows: every minute between two back-filled refreshes holds the value, no gap.
    const from = lastWeek.from + 86_400;
    const minutes = await store.query({ kind: "entitlement_in_use", filter: {}, from, to: from + 2 * HOUR_S, step: 60 });
    for (const s of minutes.series) expect(s.points).toHaveLength(120);
    const hourOf = (t: number) => new Date(t * 1000).getUTCHours();
    const noon = points.filter((p) => hourOf(p.t) === 12);
    const night = points.filter((p) => hourOf(p.t) === 3);
    expect(noon).toHaveLength(7);
    expect(noon.every((p) => p.max === 16 && p.min === 16)).toBe(true);
    expect(night.every((p) => p.max === 3)).toBe(true);
    expect(curve.series[0]!.capacity).toBe(16);
    store.close();
  });

  test("a second start on the same file keeps the history and back-fills nothing", async () => {
    const before = lines.length;
    const store = openStore();
    const answerBefore = await store.query({ kind: "active_leases", filter: {}, ...lastWeek });
    expect(await run(store, 9)).toBeUndefined();
    expect(lines.slice(before).some((l) => l.includes("already holds this org's history"))).toBe(true);
    expect(await store.query({ kind: "active_leases", filter: {}, ...lastWeek })).toEqual(answerBefore);
    store.close();
  });

  test("DB_PATH=:memory: back-fills into memory, gone with the store", async () => {
    const store = openStore(":memory:");
    expect(await run(store)).toMatchObject({ failed: 0 });
    const answer = await store.query({ kind: "entitlement_in_use", filter: {}, ...lastWeek });
    expect(answer.series.length).toBeGreaterThan(0);
    store.close();
  });
});
