/**
 * TLS to PostgreSQL as the URL's sslmode says: a real server offering TLS with the fixture
 * certificate (test/fixtures/tls, signed by its ca.pem); an exporter with sslmode=verify-full and that
 * CA trusted (NODE_EXTRA_CA_CERTS) writes its history over TLS only; without the CA it refuses the
 * server, says why without the password, and serves /metrics all the same.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import { type PgServer, pgCount, startPgServer } from "../pg/server.ts";
import { Harness, type Proc, waitFor } from "./harness.ts";

const KEY = "pg-tls-test-key-41c2";
const PASSWORD = "tls-db-pass-9d0e";
const TLS = join(import.meta.dir, "..", "fixtures", "tls");
const harness = new Harness();
let sim: Simulator;
let server: PgServer;

beforeAll(() => {
  sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: KEY, seed: 3 });
  server = startPgServer({ certFile: join(TLS, "server.pem"), keyFile: join(TLS, "server-key.pem") });
}, 120_000);
afterAll(async () => {
  await harness.cleanup();
  await sim.stop();
  server?.stop();
}, 60_000);

async function exporter(dbUrl: string, env: Record<string, string>): Promise<{ proc: Proc; url: string }> {
  const proc = harness.spawn("exporter", [process.execPath, "run", "src/index.ts"], {
    NVIDIA_API_KEY: KEY,
    NVIDIA_ORG_NAME: sim.orgName,
    NVIDIA_API_BASE_URL: sim.url,
    DATABASE_URL: dbUrl,
    LISTEN_ADDRESS: "127.0.0.1:0",
    CACHE_TTL: "1s",
    ...env,
  });
  const m = await proc.waitForLine(/msg=listening url=(http:\/\/\S+)/);
  return { proc, url: m[1]! };
}

/** Trust authentication never asks for the password: any secret can stand in it, to be looked for in the output. */
const withPassword = (url: string, query: string) => `${url.replace("postgres@", `postgres:${PASSWORD}@`)}?${query}`;

test("sslmode=verify-full with the server's CA trusted: history written, every session of the exporter encrypted", async () => {
  const db = await server.createDatabase("tls_db");
  const e = await exporter(withPassword(db, "sslmode=verify-full"), { NODE_EXTRA_CA_CERTS: join(TLS, "ca.pem") });
  await waitFor("history written over TLS", async () => ((await pgCount(db, "SELECT count(*) AS n FROM samples")) > 0 ? true : undefined));
  const sessions = `FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.datname = 'tls_db' AND a.pid <> pg_backend_pid()`;
  expect(await pgCount(db, `SELECT count(*) AS n ${sessions}`)).toBeGreaterThanOrEqual(2);
  expect(await pgCount(db, `SELECT count(*) AS n ${sessions} AND NOT s.ssl`)).toBe(0);
  const text = await (await fetch(`${e.url}/metrics`)).text();
  expect(text).toContain(`nvidia_cls_history_up{org_name="${sim.orgName}"} 1`);
  await e.proc.stop();
  expect(e.proc.output()).not.toContain(PASSWORD);
}, 60_000);

test("sslmode=verify-full without the CA: the server is refused with a reason, /metrics is served, no password shown", async () => {
  const db = await server.createDatabase("untrusted_db");
  const e = await exporter(withPassword(db, "sslmode=verify-full"), {});
  await e.proc.waitForLine(/msg="history not recorded".*(certificate|self.signed|verify)/i);
  const text = await (await fetch(`${e.url}/metrics`)).text();
  expect(text).toContain(`nvidia_cls_history_up{org_name="${sim.orgName}"} 0`);
  expect(await pgCount(db, "SELECT count(*) AS n FROM pg_tables WHERE tablename = 'samples'")).toBe(0);
  await e.proc.stop();
  expect(e.proc.output()).not.toContain(PASSWORD);
}, 60_000);
