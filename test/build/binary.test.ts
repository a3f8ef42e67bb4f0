/**
 * `npm run build` makes a binary that works without Bun, the source tree or node_modules: run from
 * an empty folder against the simulator it migrates its SQLite history from the migrations embedded
 * in it, serves the simulator's numbers, survives a restart with the stored snapshot, answers
 * /history, serves the status page and its chart scripts, pushes over OTLP (its lazily loaded
 * gRPC exporter is bundled too), and says which revision it was built from.
 */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import type { HistoryResponse } from "../../src/http/history.ts";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import { SQLITE_MIGRATIONS } from "../../src/store/migrations.ts";
import { freePort, waitFor } from "../integration/harness.ts";
import { expectedLeases, parseMetrics, type Sample, sampleValue, servedLeases } from "../integration/history-helpers.ts";
import { type Receiver, startReceiver } from "../integration/otlp-receiver.ts";
import { type Binary, BinaryHarness } from "./binary.ts";

const KEY = "binary-test-key-5d1e";
const ROOT = join(import.meta.dir, "..", "..");
const harness = new BinaryHarness();
let bin: Binary;
let sim: Simulator;
let receiver: Receiver;

beforeAll(async () => {
  bin = harness.build();
  sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: KEY, seed: 7 });
  receiver = await startReceiver();
}, 120_000);
afterAll(async () => {
  await harness.cleanup();
  await sim?.stop();
  await receiver?.stop();
});

const metrics = async (url: string): Promise<Sample[]> => parseMetrics(await (await fetch(`${url}/metrics`)).text());

/** "server_id feature_name" → seats, as the simulator says and as served. */
const expectedTotals = () =>
  Object.fromEntries(sim.expected().serverFeatures.map((f) => [`${f.serverId} ${f.featureName}`, f.totalQuantity]));
const servedTotals = (samples: Sample[]) =>
  Object.fromEntries(
    samples
      .filter((s) => s.name === "nvidia_cls_license_server_feature_total_quantity")
      .map((s) => [`${s.labels.server_id} ${s.labels.feature_name}`, s.value]),
  );

test("--version prints the version, the revision given at build (over a GIT_REVISION at run time) and Bun's version", async () => {
  const proc = harness.spawn(bin, { GIT_REVISION: "not-the-build" }, ["--version"]);
  expect(await proc.proc.exited).toBe(0);
  await proc.stop();
  expect(proc.output()).toBe(`nvidia-license-server-exporter ${pkg.version} (revision ${bin.revision}, Bun ${Bun.version})\n`);
});

test("against the simulator: metrics, history, the status page, OTLP; SIGTERM; a restart serves the stored snapshot with up 0", async () => {
  const dbPath = join(bin.workDir, "data", "history.db");
  const env = { NVIDIA_API_KEY: KEY, NVIDIA_ORG_NAME: sim.orgName, DB_PATH: dbPath };
  const otlp = { OTEL_ENABLED: "true", OTEL_ENDPOINT: `127.0.0.1:${receiver.port}`, OTEL_PUSH_INTERVAL: "1s" };
  const first = await harness.start(bin, { ...env, ...otlp, NVIDIA_API_BASE_URL: sim.url, CACHE_TTL: "1s" }, true);
  const samples = await metrics(first.url);
  expect(sampleValue(samples, "nvidia_cls_up", { org_name: sim.orgName })).toBe(1);
  expect(sampleValue(samples, "nvidia_cls_exporter_build_info", { revision: bin.revision })).toBe(1);
  expect(servedLeases(samples)).toEqual(expectedLeases(sim));
  expect(servedTotals(samples)).toEqual(expectedTotals());
  // History is written after the refresh it records: wait for the first points.
  await waitFor("history points", async () => ((await historySeries(first.url)) > 0 ? true : undefined));
  await expectHistory(first.url);
  await expectStatusPage(first.url);
  const pushed = await waitFor("an OTLP push with nvidia_cls_up", () =>
    receiver.pushes.flatMap((p) => p.metrics).find((m) => m.name === "nvidia_cls_up"),
  );
  expect(pushed.points[0]?.value).toBe(1);

  expect(await first.proc.stop()).toBe(0);
  expect(appliedMigrations(dbPath)).toEqual(SQLITE_MIGRATIONS.map((m) => m.hash));

  // CLS unreachable now: the first scrape already serves what was stored, marked not up.
  const second = await harness.start(bin, { ...env, NVIDIA_API_BASE_URL: `http://127.0.0.1:${freePort()}`, CACHE_TTL: "1h" }, false);
  const restored = await metrics(second.url);
  expect(sampleValue(restored, "nvidia_cls_up", { org_name: sim.orgName })).toBe(0);
  expect(servedLeases(restored)).toEqual(expectedLeases(sim));
  expect(second.proc.output()).toContain("serving the last stored snapshot");
  await expectHistory(second.url);
  expect(await second.proc.stop()).toBe(0);
}, 60_000);

async function historySeries(url: string): Promise<number> {
  const res = await fetch(`${url}/history?from=-1h&step=1s`);
  return res.ok ? ((await res.json()) as HistoryResponse).series.length : 0;
}

async function expectHistory(url: string): Promise<void> {
  const res = await fetch(`${url}/history?from=-1h&step=1s`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as HistoryResponse;
  expect(body.org_name).toBe(sim.orgName);
  expect(body.series.length).toBeGreaterThan(0);
  expect(body.series.some((s) => s.points.length > 0)).toBe(true);
}

/** The page and each script it names, byte for byte the files in src/render and uPlot's package. */
async function expectStatusPage(url: string): Promise<void> {
  const page = await fetch(`${url}/`);
  expect(page.status).toBe(200);
  const html = await page.text();
  const scripts = [...html.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!);
  const want: Record<string, string> = {
    "uPlot.iife.min.js": join(ROOT, "node_modules", "uplot", "dist", "uPlot.iife.min.js"),
    "page-charts.js": join(ROOT, "src", "render", "page-charts.js"),
  };
  expect(scripts.map((s) => s.split("/").at(-1)).sort()).toEqual(Object.keys(want).sort());
  for (const src of scripts) {
    const res = await fetch(new URL(src, url));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("text/javascript");
    expect(await res.text()).toBe(readFileSync(want[src.split("/").at(-1)!]!, "utf8"));
  }
}

function appliedMigrations(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return (db.query("SELECT hash FROM __drizzle_migrations ORDER BY id").all() as { hash: string }[]).map((r) => r.hash);
  } finally {
    db.close();
  }
}
