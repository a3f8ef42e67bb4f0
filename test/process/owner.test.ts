/**
 * Issue: one owner per port. A second exporter on an address in use ends its start with exit 1
 * and says why; the first keeps serving. Real processes on 127.0.0.1, real SQLite files in temp dirs.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import { Harness, type Proc } from "../integration/harness.ts";

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
