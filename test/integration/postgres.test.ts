/**
 * DATABASE_URL: an exporter process keeps its history in a real PostgreSQL server (test/pg/server.ts).
 * It refreshes against the simulator and answers /history and /report from PostgreSQL; after kill -9
 * a new exporter serves the stored snapshot with nvidia_cls_up 0; an exporter of the same org while
 * another leads it follows (no CLS call, no write, the shared tables read) and leads once the lock
 * is free; the URL's password is in no line any of them wrote. Replicas: replicas.test.ts.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import postgres from "postgres";
import type { HistoryResponse } from "../../src/http/history.ts";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import { OWNER_LOCK_CLASS } from "../../src/store/pg/owner.ts";
import { type PgServer, startPgServer } from "../pg/server.ts";
import { freePort, Harness, type Proc, waitFor } from "./harness.ts";

const KEY = "pg-exporter-test-key-7d1a";
const PASSWORD = "db-pass-5c9e1f";
const harness = new Harness();
let sim: Simulator;
let server: PgServer;
let url: string;

beforeAll(async () => {
  sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: KEY, seed: 42 });
  server = startPgServer();
  // Trust authentication: the server never asks for the password, so it can be any secret to look for.
  url = (await server.createDatabase("exporter_db")).replace("postgres@", `postgres:${PASSWORD}@`);
}, 120_000);
afterAll(async () => {
  await harness.cleanup();
  await sim.stop();
  server?.stop();
}, 60_000);

/** An exporter on `url`'s database (no DB_PATH: setting both is a configuration error). */
async function startExporter(baseUrl: string, env: Record<string, string> = {}): Promise<{ proc: Proc; url: string }> {
  const proc = harness.spawn("exporter", [process.execPath, "run", "src/index.ts"], {
    NVIDIA_API_KEY: KEY,
    NVIDIA_ORG_NAME: sim.orgName,
    NVIDIA_API_BASE_URL: baseUrl,
    DATABASE_URL: url,
    LISTEN_ADDRESS: "127.0.0.1:0",
    LOG_LEVEL: "debug",
    CACHE_TTL: "1s",
    ...env,
  });
  const m = await proc.waitForLine(/msg=listening url=(http:\/\/\S+)/);
  return { proc, url: m[1]! };
}

async function rows(): Promise<{ series: number; samples: number; snapshot: string }> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [r] = await sql`SELECT (SELECT count(*) FROM series)::int AS series, (SELECT count(*) FROM samples)::int AS samples,
      (SELECT collected_at FROM snapshots)::text AS snapshot`;
    return r as unknown as { series: number; samples: number; snapshot: string };
  } finally {
    await sql.end();
  }
}

async function refreshes(proc: Proc, n: number): Promise<void> {
  let seen = 0;
  await waitFor(`${n} refreshes`, () => {
    const now = (proc.output().match(/msg="refresh succeeded"/g) ?? []).length;
    if (now > seen) {
      seen = now;
      sim.tick(3);
    }
    return now >= n ? true : undefined;
  });
}

const metric = (text: string, name: string) => text.split("\n").filter((l) => l.startsWith(`${name}{`));
const range = () => `from=-1h&to=${Math.floor(Date.now() / 1000) + 3600}`;

test("refreshes are recorded in PostgreSQL; /history and /report answer from it; the password is never written", async () => {
  const first = await startExporter(sim.url);
  await refreshes(first.proc, 4);
  await waitFor("rows written", async () => ((await rows()).samples > 0 ? true : undefined));
  expect(first.proc.output()).toContain(`history=postgres://postgres@127.0.0.1:${server.port}/exporter_db`);

  const history = (await (await fetch(`${first.url}/history?from=-1h&step=1s`)).json()) as HistoryResponse;
  expect(history.series.length).toBeGreaterThan(0);
  expect(history.series.some((s) => s.points.length > 1)).toBe(true);
  const report = await fetch(`${first.url}/report?${range()}`);
  expect(report.status).toBe(200);
  expect(((await report.json()) as { features: unknown[] }).features.length).toBeGreaterThan(0);
  const metrics = await (await fetch(`${first.url}/metrics`)).text();
  expect(metric(metrics, "nvidia_cls_history_up")).toEqual([`nvidia_cls_history_up{org_name="${sim.orgName}"} 1`]);

  first.proc.proc.kill("SIGKILL");
  await first.proc.proc.exited;
  expect(first.proc.output()).not.toContain(PASSWORD);
}, 60_000);

test("after kill -9, a new exporter serves the stored snapshot with up 0 and /history from PostgreSQL", async () => {
  const stored = await rows();
  const second = await startExporter(`http://127.0.0.1:${freePort()}`, { CACHE_TTL: "1h" });
  const text = await (await fetch(`${second.url}/metrics`)).text();
  expect(metric(text, "nvidia_cls_up")).toEqual([`nvidia_cls_up{org_name="${sim.orgName}"} 0`]);
  expect(metric(text, "nvidia_cls_license_server_feature_active_leases").length).toBeGreaterThan(0);
  expect(second.proc.output()).toContain("serving the last stored snapshot");
  const history = (await (await fetch(`${second.url}/history?from=-1h&step=1s`)).json()) as HistoryResponse;
  expect(history.series.length).toBeGreaterThan(0);
  second.proc.proc.kill("SIGTERM");
  await second.proc.proc.exited;
  // No history for a refresh that fetched nothing; the stored snapshot may be re-stored with its up 0
  // (so replicas would serve what this leader serves).
  const after = await rows();
  expect({ series: after.series, samples: after.samples }).toEqual({ series: stored.series, samples: stored.samples });
  expect(Number(after.snapshot)).toBeGreaterThanOrEqual(Number(stored.snapshot));
  expect(second.proc.output()).not.toContain(PASSWORD);
}, 60_000);

test("while another exporter leads the org, this one follows: no CLS call, no write, /history and /report from the shared tables; it leads once the lock is free", async () => {
  // The test's own session stands for the leader of the same org (one that writes nothing meanwhile).
  const other = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [held] = await other`SELECT pg_try_advisory_lock(${OWNER_LOCK_CLASS}::int, hashtext(${sim.orgName})) AS ok`;
    expect(held?.ok).toBe(true);
    const before = await rows();
    const callsBefore = sim.stats().total;
    const follower = await startExporter(sim.url);
    await follower.proc.waitForLine(/msg="following the org's leader"/);
    // Several cache lifetimes (CACHE_TTL 1s): a follower reads the leader's snapshot, never CLS.
    await Bun.sleep(3_000);
    expect(sim.stats().total).toBe(callsBefore);
    const text = await (await fetch(`${follower.url}/metrics`)).text();
    expect(metric(text, "nvidia_cls_leader")).toEqual([`nvidia_cls_leader{org_name="${sim.orgName}"} 0`]);
    expect(metric(text, "nvidia_cls_license_server_feature_active_leases").length).toBeGreaterThan(0);
    expect((await fetch(`${follower.url}/history?from=-1h&step=1s`)).status).toBe(200);
    expect((await fetch(`${follower.url}/report?${range()}`)).status).toBe(200);
    expect(await rows()).toEqual(before);

    // The leader gone, this one takes the lock within an election round and writes.
    await other`SELECT pg_advisory_unlock(${OWNER_LOCK_CLASS}::int, hashtext(${sim.orgName}))`;
    await follower.proc.waitForLine(/msg="this exporter leads its org/);
    await waitFor("a write by the new leader", async () => ((await rows()).snapshot !== before.snapshot ? true : undefined));
    const after = await (await fetch(`${follower.url}/metrics`)).text();
    expect(metric(after, "nvidia_cls_leader")).toEqual([`nvidia_cls_leader{org_name="${sim.orgName}"} 1`]);
    expect(sim.stats().total).toBeGreaterThan(callsBefore);
    follower.proc.proc.kill("SIGTERM");
    await follower.proc.proc.exited;
    expect(follower.proc.output()).not.toContain(PASSWORD);
  } finally {
    await other.end();
  }
}, 60_000);
