/**
 * Issue: a restart serves the last snapshot at once. Start against the simulator, record a few
 * refreshes with lease churn, kill -9, restart with CLS unreachable: the very first /metrics already
 * shows the stored numbers with nvidia_cls_up 0 and the stored scrape timestamp, and /history still
 * returns the earlier points.
 */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import type { HistoryResponse } from "../../src/http/history.ts";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import type { Snapshot } from "../../src/snapshot/types.ts";
import { freePort, Harness, waitFor } from "./harness.ts";

const KEY = "restart-test-key-2b7c";
const harness = new Harness();
let sim: Simulator;
let dbPath: string;

beforeAll(() => {
  sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: KEY, seed: 42 });
  dbPath = join(harness.tempDir("cls-restart-"), "history.db");
});
afterAll(async () => {
  await harness.cleanup();
  await sim.stop();
});

const metric = (text: string, name: string) => text.split("\n").filter((l) => l.startsWith(`${name}{`));
const leaseLines = (text: string) => metric(text, "nvidia_cls_license_server_feature_active_leases").sort();

/** The snapshot the killed process committed last, read straight from its file. */
function storedSnapshot(): Snapshot {
  const db = new Database(dbPath, { readonly: true });
  try {
    return JSON.parse((db.query("SELECT body FROM snapshots").get() as { body: string }).body) as Snapshot;
  } finally {
    db.close();
  }
}

test("kill -9, restart with CLS unreachable: the stored snapshot is served at once with up 0, /history keeps its points", async () => {
  const env = { NVIDIA_API_KEY: KEY, NVIDIA_ORG_NAME: sim.orgName, DB_PATH: dbPath, CACHE_TTL: "1s" };
  const first = await harness.startExporter({ ...env, NVIDIA_API_BASE_URL: sim.url }, { waitUp: true });
  // Three recorded refreshes with churn in between, so history has more than one value.
  let refreshes = 0;
  await waitFor("three refreshes recorded", () => {
    const seen = (first.proc.output().match(/msg="refresh succeeded"/g) ?? []).length;
    if (seen > refreshes) {
      refreshes = seen;
      sim.tick(3);
    }
    return seen >= 4 ? true : undefined;
  });
  first.proc.proc.kill("SIGKILL");
  await first.proc.proc.exited;

  const stored = storedSnapshot();
  const second = await harness.startExporter({ ...env, NVIDIA_API_BASE_URL: `http://127.0.0.1:${freePort()}`, CACHE_TTL: "1h" });
  const text = await (await fetch(`${second.url}/metrics`)).text();
  expect(metric(text, "nvidia_cls_up")).toEqual([`nvidia_cls_up{org_name="${sim.orgName}"} 0`]);
  expect(metric(text, "nvidia_cls_scrape_timestamp_seconds")).toEqual([
    `nvidia_cls_scrape_timestamp_seconds{org_name="${sim.orgName}"} ${stored.collectedAt / 1000}`,
  ]);
  const want = stored.serverFeatures.filter((f) => f.active !== undefined).map((f) => f.active);
  expect(leaseLines(text)).toHaveLength(want.length);
  expect(
    leaseLines(text)
      .map((l) => Number(l.split(" ").at(-1)))
      .sort(),
  ).toEqual(want.map(Number).sort());
  expect(second.proc.output()).toContain("serving the last stored snapshot");

  // The refresh that cannot reach CLS keeps serving the stored data, still with up 0.
  await second.proc.waitForLine(/msg="refresh (failed|incomplete)"/);
  const after = await (await fetch(`${second.url}/metrics`)).text();
  expect(metric(after, "nvidia_cls_up")).toEqual([`nvidia_cls_up{org_name="${sim.orgName}"} 0`]);
  expect(leaseLines(after)).toEqual(leaseLines(text));

  const history = (await (await fetch(`${second.url}/history?from=-1h&step=1s`)).json()) as HistoryResponse;
  expect(history.series.length).toBe(want.length);
  const lastPoint = Math.max(...history.series.map((s) => Date.parse(s.points.at(-1)!.t)));
  expect(lastPoint).toBe(Math.floor(stored.collectedAt / 1000) * 1000);
  expect(history.series.some((s) => s.points.length > 1)).toBe(true);
});
