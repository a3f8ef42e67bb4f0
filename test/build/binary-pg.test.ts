/**
 * The compiled binary on PostgreSQL (DATABASE_URL): it migrates an empty database from the
 * migrations embedded in it — no migrations/postgres folder in reach — and serves the simulator's
 * numbers with its history there.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import postgres from "postgres";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import { PG_MIGRATIONS } from "../../src/store/migrations.ts";
import { APPLICATION_TABLE, MIGRATIONS_TABLE } from "../../src/store/pg/migrate.ts";
import { waitFor } from "../integration/harness.ts";
import { expectedLeases, parseMetrics, sampleValue, servedLeases } from "../integration/history-helpers.ts";
import { serverForFile } from "../pg/server.ts";
import { type Binary, BinaryHarness } from "./binary.ts";

const KEY = "binary-pg-test-key-8a2f";
const server = serverForFile();
const harness = new BinaryHarness();
let bin: Binary;
let sim: Simulator;

beforeAll(() => {
  bin = harness.build();
  sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: KEY, seed: 11 });
}, 120_000);
afterAll(async () => {
  await harness.cleanup();
  await sim?.stop();
});

async function query<T>(url: string, text: string): Promise<T[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return (await sql.unsafe(text)) as unknown as T[];
  } finally {
    await sql.end();
  }
}

test("an empty database is migrated by the binary to the embedded schema, and history is written there", async () => {
  const url = await server().createDatabase("binary_db");
  const env = { NVIDIA_API_KEY: KEY, NVIDIA_ORG_NAME: sim.orgName, NVIDIA_API_BASE_URL: sim.url, CACHE_TTL: "1s", DATABASE_URL: url };
  const running = await harness.start(bin, env, true);
  const samples = parseMetrics(await (await fetch(`${running.url}/metrics`)).text());
  expect(sampleValue(samples, "nvidia_cls_up", { org_name: sim.orgName })).toBe(1);
  expect(servedLeases(samples)).toEqual(expectedLeases(sim));

  const applied = await query<{ hash: string }>(url, `SELECT hash FROM public.${MIGRATIONS_TABLE} ORDER BY id`);
  expect(applied.map((r) => r.hash)).toEqual(PG_MIGRATIONS.map((m) => m.hash));
  expect(await query<{ name: string }>(url, `SELECT name FROM public.${APPLICATION_TABLE}`)).toEqual([
    { name: "nvidia-license-server-exporter" },
  ]);
  await waitFor("a snapshot written to PostgreSQL", async () => {
    const [row] = await query<{ n: string }>(url, "SELECT count(*) AS n FROM public.snapshots");
    return Number(row?.n) > 0 ? true : undefined;
  });
  expect(await running.proc.stop()).toBe(0);
}, 60_000);
