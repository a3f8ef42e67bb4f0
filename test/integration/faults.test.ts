/**
 * The fault matrix (fault-rows.ts) against the exporter process and the CLS simulator over real
 * HTTP on 127.0.0.1. One exporter lives through every row, in order, and must survive them all; a
 * TCP forwarder between the two makes the network faults. Two rows need an exporter of their own:
 * a host that does not resolve (in a mount namespace whose resolv.conf points at 127.0.0.1) and a
 * very large org. docs/faults.md must equal the table rendered from the rows.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { generateOrg } from "../../src/sim/generate.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import {
  FAULT_ROWS,
  type Family,
  type FaultRow,
  type Freshness,
  LARGE_ORG_TEXT,
  renderFaultTable,
  TEST_BYTE_LIMIT,
  UNRESOLVED_HINT,
} from "./fault-rows.ts";
import { type Exporter, Harness, waitFor } from "./harness.ts";
import { type Sample, sampleValue, scrape } from "./history-helpers.ts";
import { requireMountNamespaces } from "./mounts.ts";

const API_KEY = "fault-matrix-key";
const ROOT = join(import.meta.dir, "..", "..");
/** CLS_MAX_STRING_LENGTH for the suite: small, so the long-strings row stays small. */
const MAX_STRING_LENGTH = 64;
const harness = new Harness();
let sim: Simulator;
let proxy: Forwarder;
let exporter: Exporter;
let dbPath: string;
/** When the previous row ended: the next row waits for a healthy refresh that started after it. */
let healthySince = 0;

/** A TCP forwarder to the simulator that can stop listening (connection refused) and start again on its port. */
class Forwarder {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  constructor(private readonly target: number) {}

  async listen(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect({ host: "127.0.0.1", port: this.target });
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Stops listening and cuts the open connections: new connections are refused. */
  async refuse(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async restore(): Promise<void> {
    if (!this.server) await this.listen();
  }
}

interface Outcome {
  time: string;
  level: string;
  msg: string;
  duration_ms: number;
  calls: number;
  endpoint?: string;
  reason?: string;
  hint?: string;
  error?: string;
}

/** The refresh outcome lines the exporter wrote (JSON logs), oldest first. */
function outcomes(e: Exporter): Outcome[] {
  return e.proc
    .output()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Outcome)
    .filter((o) => o.msg.startsWith("refresh "));
}

/** The first outcome of a refresh that started after `since` (ms); fails early if the exporter died. */
function nextOutcome(e: Exporter, since: number, timeoutMs = 20_000): Promise<Outcome> {
  return waitFor(
    `a refresh started after ${new Date(since).toISOString()}`,
    () => {
      e.proc.assertAlive();
      return outcomes(e).find((o) => Date.parse(o.time) - o.duration_ms > since);
    },
    { timeoutMs, intervalMs: 100 },
  );
}

const FAMILIES: Record<Family, { name: string; key: string[] }> = {
  leases: { name: "nvidia_cls_license_server_feature_active_leases", key: ["server_id", "feature_name"] },
  pools: { name: "nvidia_cls_license_pool_in_use_quantity", key: ["pool_id", "feature_name"] },
  entitlements: { name: "nvidia_cls_entitlement_in_use_quantity", key: ["ems_product_key_id", "feature_name"] },
};

/** key → value of one family, and key → virtual group id. */
function family(samples: Sample[], f: Family): { values: Record<string, number>; vg: Record<string, string> } {
  const { name, key } = FAMILIES[f];
  const values: Record<string, number> = {};
  const vg: Record<string, string> = {};
  for (const s of samples.filter((x) => x.name === name)) {
    const k = key.map((l) => s.labels[l]).join(" ");
    values[k] = s.value;
    vg[k] = s.labels.virtual_group_id!;
  }
  return { values, vg };
}

/** The simulator's truth in the same shape. */
function truth(f: Family): Record<string, number> {
  const e = sim.expected();
  const out: Record<string, number> = {};
  if (f === "leases") for (const x of e.serverFeatures) out[`${x.serverId} ${x.featureName}`] = x.activeLeases;
  if (f === "pools") for (const x of e.poolFeatures) out[`${x.poolId} ${x.featureName}`] = x.inUse;
  if (f === "entitlements")
    for (const x of e.entitlementFeatures)
      out[`${x.emsProductKeyId} ${x.featureName}`] = (out[`${x.emsProductKeyId} ${x.featureName}`] ?? 0) + x.inUse;
  return out;
}

function checkFamily(f: Family, want: Freshness, before: Sample[], after: Sample[]): void {
  if (want === "skip") return;
  const now = family(after, f);
  if (want === "absent") {
    expect(Object.keys(now.values), `${f}: absent`).toEqual([]);
    return;
  }
  const last = family(before, f).values;
  const fresh = truth(f);
  const expected: Record<string, number> = {};
  for (const k of Object.keys(fresh)) {
    const stale = want === "stale" || (typeof want === "object" && now.vg[k] === String(want.staleVg));
    expected[k] = stale ? last[k]! : fresh[k]!;
  }
  expect(now.values, `${f}: ${typeof want === "object" ? `stale for group ${want.staleVg}` : want}`).toEqual(expected);
}

/** refresh_errors_total or invalid_items for the row's metric. */
function metricValue(samples: Sample[], row: FaultRow): number {
  if (!row.metric) return 0;
  if (row.metric.reason === "invalid_items")
    return sampleValue(samples, "nvidia_cls_invalid_items", { endpoint: row.metric.endpoint }) ?? 0;
  return sampleValue(samples, "nvidia_cls_refresh_errors_total", row.metric) ?? 0;
}

beforeAll(async () => {
  sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: API_KEY });
  proxy = new Forwarder(new URL(sim.url).port ? Number(new URL(sim.url).port) : 80);
  await proxy.listen();
  dbPath = join(harness.tempDir("cls-faults-"), "history.db");
  exporter = await harness.startExporter(
    {
      NVIDIA_API_KEY: API_KEY,
      NVIDIA_ORG_NAME: "lic-example",
      NVIDIA_API_BASE_URL: `http://127.0.0.1:${proxy.port}`,
      SCRAPE_TIMEOUT: "2s",
      CACHE_TTL: "1s",
      CLS_MAX_STRING_LENGTH: String(MAX_STRING_LENGTH),
      LOG_FORMAT: "json",
      LOG_LEVEL: "debug",
      DB_PATH: dbPath,
      CLS_MAX_RESPONSE_BYTES: TEST_BYTE_LIMIT,
      CLS_MAX_INFLATED_BYTES: TEST_BYTE_LIMIT,
      // Small list bounds, so the rows that pass them stay small (fault-rows.ts).
      CLS_MAX_ITEMS: "200",
      CLS_MAX_PAGES: "4",
    },
    { waitUp: true },
  );
}, 60_000);

afterAll(async () => {
  await harness.cleanup();
  await proxy?.refuse();
  await sim?.stop();
}, 30_000);

describe("fault matrix: one exporter through every row", () => {
  test.each(FAULT_ROWS.map((r) => [r.id, r] as const))(
    "%s",
    async (_id, row) => {
      // Healthy first: a refresh that started with no fault succeeded.
      sim.clearFaults();
      await proxy.restore();
      await waitFor(
        "a successful refresh before the fault",
        () => {
          exporter.proc.assertAlive();
          const last = outcomes(exporter).at(-1);
          return last?.msg === "refresh succeeded" && Date.parse(last.time) - last.duration_ms > healthySince ? true : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 100 },
      );
      const baseline = await scrape(exporter);

      // The fault, then one refresh under it: what it failed now holds its last good values.
      if (row.rules) sim.setFaults(row.rules);
      if (row.proxy === "refuse") await proxy.refuse();
      const faultAt = Date.now();
      await nextOutcome(exporter, faultAt);
      const before = await scrape(exporter);
      const logBefore = outcomes(exporter).length;
      const simBefore = sim.stats().total;

      // The truth moves; a refresh that started after that shows what is fresh and what is not.
      const moved = JSON.stringify(truth("leases"));
      for (let i = 0; i < 50 && JSON.stringify(truth("leases")) === moved; i++) sim.tick(5);
      expect(JSON.stringify(truth("leases"))).not.toBe(moved);
      const tickAt = Date.now();
      const outcome = await nextOutcome(exporter, tickAt);

      // /metrics answers from the cache; for a hanging call, while the call is still open.
      if (row.hangs) {
        await waitFor("a CLS call in flight", () => (sim.stats().inFlight > 0 ? true : undefined), { timeoutMs: 10_000, intervalMs: 50 });
        const res = await fetch(`${exporter.url}/metrics`);
        expect(res.status).toBe(200);
        await res.text();
        expect(sim.stats().inFlight).toBeGreaterThan(0);
      }
      const after = await scrape(exporter);
      const refreshes = outcomes(exporter).length - logBefore;

      expect(sampleValue(after, "nvidia_cls_up")).toBe(row.up);
      for (const f of Object.keys(FAMILIES) as Family[]) checkFamily(f, row.families?.[f] ?? "fresh", before, after);
      if (row.metric)
        expect(metricValue(after, row)).toBeGreaterThan(row.metric.reason === "invalid_items" ? 0 : metricValue(baseline, row));

      // The outcome line names the endpoint, the reason and what to check.
      expect(outcome).toMatchObject({
        msg: row.log.msg,
        ...(row.log.endpoint ? { endpoint: row.log.endpoint, reason: row.log.reason } : {}),
        ...(row.log.hint ? { hint: row.log.hint } : {}),
        ...(row.log.error ? { error: expect.stringContaining(row.log.error) } : {}),
      });
      // Whatever CLS sent, no label value is longer than the configured bound.
      expect(after.flatMap((s) => Object.values(s.labels)).filter((v) => v.length > MAX_STRING_LENGTH)).toEqual([]);
      const since = outcomes(exporter).filter((o) => Date.parse(o.time) >= faultAt);
      if (row.up === 1 && !row.metric) expect(since.every((o) => o.msg === "refresh succeeded")).toBe(true);
      // Rate-limited: the same failure was written at warn once, its repeats at debug.
      if (row.log.endpoint)
        expect(
          since.filter((o) => o.level === "warn" && o.endpoint === row.log.endpoint && o.reason === row.log.reason).length,
        ).toBeLessThanOrEqual(1);
      // Bounded calls: per refresh as logged, and as the simulator counted them.
      for (const o of since) expect(o.calls).toBeLessThanOrEqual(row.maxCalls);
      expect(sim.stats().total - simBefore).toBeLessThanOrEqual(row.maxCalls * (refreshes + 1));
      exporter.proc.assertAlive();
      healthySince = Date.now();
    },
    90_000,
  );

  test("the process survived every row and recovers", async () => {
    sim.clearFaults();
    await proxy.restore();
    const o = await nextOutcome(exporter, Date.now());
    expect(o.msg).toBe("refresh succeeded");
    expect(sampleValue(await scrape(exporter), "nvidia_cls_up")).toBe(1);
    expect(exporter.proc.output()).not.toMatch(/"level":"error"/);
  }, 30_000);
});

describe("rows with an exporter of their own", () => {
  test("a host that does not resolve: the stored snapshot is served with up 0; the line names the host", async () => {
    // The matrix exporter's last snapshot is in its database: stop it cleanly and start another on it.
    const last = await scrape(exporter);
    expect(await exporter.proc.stop()).toBe(0);
    const dir = harness.tempDir("cls-dns-");
    requireMountNamespaces(dir);
    writeFileSync(join(dir, "resolv.conf"), "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n");
    // Only inside the exporter's namespace: DNS goes to 127.0.0.1, where nothing answers.
    const prefix = [
      "unshare",
      "--mount",
      "--propagation",
      "private",
      "sh",
      "-c",
      `mount --bind "$1/resolv.conf" /etc/resolv.conf && shift && exec "$@"`,
      "sh",
      dir,
    ];
    const e = await harness.startExporter(
      {
        NVIDIA_API_KEY: API_KEY,
        NVIDIA_ORG_NAME: "lic-example",
        NVIDIA_API_BASE_URL: "http://cls.invalid:8080",
        SCRAPE_TIMEOUT: "2s",
        CACHE_TTL: "1s",
        LOG_FORMAT: "json",
        DB_PATH: dbPath,
      },
      { prefix },
    );
    const o = await nextOutcome(e, 0);
    expect(o).toMatchObject({ level: "warn", msg: "refresh failed", endpoint: "virtual_groups", reason: "network", hint: UNRESOLVED_HINT });
    expect(o.error).toContain("cls.invalid");
    expect(o.calls).toBeLessThanOrEqual(4);
    const served = await scrape(e);
    expect(sampleValue(served, "nvidia_cls_up")).toBe(0);
    for (const f of Object.keys(FAMILIES) as Family[]) expect(family(served, f).values).toEqual(family(last, f).values);
    expect(sampleValue(served, "nvidia_cls_scrape_timestamp_seconds")).toBe(sampleValue(last, "nvidia_cls_scrape_timestamp_seconds"));
    expect(
      sampleValue(served, "nvidia_cls_refresh_errors_total", { endpoint: "virtual_groups", reason: "network" }),
    ).toBeGreaterThanOrEqual(1);
    e.proc.assertAlive();
  }, 60_000);

  test(`a very large org: ${LARGE_ORG_TEXT}`, async () => {
    const big = startSimulator({
      scenario: generateOrg({
        orgName: "big-org",
        virtualGroups: 10,
        serversPerGroup: 10,
        featuresPerServer: 9,
        leasesPerFeature: 10,
        seed: 7,
      }),
      apiKey: API_KEY,
    });
    try {
      const e = await harness.startExporter(
        { NVIDIA_API_KEY: API_KEY, NVIDIA_ORG_NAME: "big-org", NVIDIA_API_BASE_URL: big.url, LOG_FORMAT: "json" },
        { waitUp: true, timeoutMs: 60_000 },
      );
      const o = outcomes(e).find((x) => x.msg === "refresh succeeded")!;
      const want = big.expected();
      expect(o.calls).toBe(want.calls.total);
      const samples = await scrape(e);
      expect(sampleValue(samples, "nvidia_cls_up")).toBe(1);
      const leases = family(samples, "leases").values;
      const truthLeases = Object.fromEntries(want.serverFeatures.map((x) => [`${x.serverId} ${x.featureName}`, x.activeLeases]));
      expect(Object.keys(leases).length).toBe(900);
      expect(leases).toEqual(truthLeases);
    } finally {
      await big.stop();
    }
  }, 90_000);
});

test("docs/faults.md is the table of these rows", () => {
  const path = join(ROOT, "docs", "faults.md");
  expect(readFileSync(path, "utf8"), "run: bun run scripts/fault-table.ts --write").toBe(renderFaultTable());
});
