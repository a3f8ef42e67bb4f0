/**
 * Issue: one owner per port and per history database. A second exporter on an address in use, or
 * on a database file and org another exporter writes, ends its start with exit 1 and says why;
 * the first keeps serving. Real processes on 127.0.0.1, real SQLite files in temp dirs.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { hostname } from "node:os";
import { join } from "node:path";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import { freePort, Harness, type Proc } from "../integration/harness.ts";
import { fingerprint } from "../integration/history-helpers.ts";

const KEY = "owner-test-key-5e1f";
const TIMEOUT = 60_000;
const harness = new Harness();
let sim: Simulator;

beforeAll(() => {
  sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: KEY, seed: 7 });
});
afterAll(async () => {
  await harness.cleanup();
  await sim.stop();
});

const env = (db: string, extra: Record<string, string> = {}) => ({
  NVIDIA_API_KEY: KEY,
  NVIDIA_ORG_NAME: sim.orgName,
  NVIDIA_API_BASE_URL: sim.url,
  DB_PATH: db,
  ...extra,
});

/** Waits for a process that should end by itself (killed after 20 s if it does not); its exit code and output. */
async function ended(p: Proc): Promise<{ code: number | null; out: string }> {
  const kill = setTimeout(() => p.proc.kill("SIGKILL"), 20_000);
  await p.proc.exited;
  clearTimeout(kill);
  // The pipes are drained by Proc: give them a moment to deliver the last lines.
  await Bun.sleep(50);
  return { code: p.proc.exitCode, out: p.output() };
}

const spawnExporter = (vars: Record<string, string>) =>
  harness.spawn("second exporter", [process.execPath, "run", "src/index.ts"], { LISTEN_ADDRESS: "127.0.0.1:0", ...vars });

async function metricsOk(url: string): Promise<boolean> {
  const res = await fetch(`${url}/metrics`);
  return res.ok && (await res.text()).includes("nvidia_cls_up 1");
}

describe("one exporter per address", () => {
  test(
    "a second exporter on the address in use exits 1 saying so; the first keeps serving",
    async () => {
      const dir = harness.tempDir("cls-owner-port-");
      const first = await harness.startExporter(env(join(dir, "a.db")), { waitUp: true });
      const second = await ended(spawnExporter(env(join(dir, "b.db"), { LISTEN_ADDRESS: first.host })));
      expect(second.code).toBe(1);
      expect(second.out).toContain(`cannot listen on ${first.host}`);
      expect(second.out).toContain("address in use");
      // Every scrape reaches the one process: none is lost to a second listener on the port.
      for (let i = 0; i < 5; i++) expect(await metricsOk(first.url)).toBe(true);
      expect(first.proc.exited()).toBe(false);
    },
    TIMEOUT,
  );
});

describe("one writer per history database and org", () => {
  test(
    "a second exporter on the same file and org exits 1 naming the file and the first's pid and host; the first keeps serving",
    async () => {
      const db = join(harness.tempDir("cls-owner-db-"), "history.db");
      const first = await harness.startExporter(env(db), { waitUp: true });
      const second = await ended(spawnExporter(env(db)));
      expect(second.code).toBe(1);
      expect(second.out).toContain(`history database ${db} is in use for org ${sim.orgName}`);
      expect(second.out).toContain(`pid ${first.proc.proc.pid} on host ${hostname()}`);
      expect(second.out).toContain("give each its own DB_PATH");
      // Refused before binding: it never logged an address.
      expect(second.out).not.toContain("msg=listening");
      expect(await metricsOk(first.url)).toBe(true);
    },
    TIMEOUT,
  );

  test(
    "another org on the same file starts; after the first is killed with SIGKILL a new one takes its file and org",
    async () => {
      const db = join(harness.tempDir("cls-owner-kill-"), "history.db");
      const first = await harness.startExporter(env(db), { waitUp: true });
      const otherOrg = await harness.startExporter(env(db, { NVIDIA_ORG_NAME: "another-org" }));
      expect(otherOrg.proc.exited()).toBe(false);
      first.proc.proc.kill("SIGKILL");
      await first.proc.proc.exited;
      const next = await harness.startExporter(env(db), { waitUp: true });
      expect(await metricsOk(next.url)).toBe(true);
      expect(next.proc.output()).not.toContain("in use for org");
    },
    TIMEOUT,
  );
});

describe("npm run demo twice", () => {
  test(
    "the second demo exits 1 and leaves the first's database as it was",
    async () => {
      const db = join(harness.tempDir("cls-owner-demo-"), "demo.db");
      const vars = { DB_PATH: db, PORT: String(freePort()) };
      const first = harness.spawn("first demo", [process.execPath, "run", "src/demo.ts"], vars);
      await first.waitForLine(/msg="refresh succeeded"/, { timeoutMs: 30_000 });
      // Stopped, the first writes nothing more (it keeps its port and its lock): any change is the second's.
      first.proc.kill("SIGSTOP");
      try {
        const before = fingerprint(db);
        const second = await ended(harness.spawn("second demo", [process.execPath, "run", "src/demo.ts"], vars));
        expect(second.code).toBe(1);
        expect(second.out).toContain(`history database ${db} is in use`);
        expect(second.out).toContain("npm run demo -- -db-path");
        expect(second.out).not.toContain("status page");
        expect(fingerprint(db)).toEqual(before);
      } finally {
        first.proc.kill("SIGCONT");
      }
      const url = `http://127.0.0.1:${vars.PORT}`;
      expect((await fetch(`${url}/healthz`)).ok).toBe(true);
    },
    TIMEOUT,
  );
});
