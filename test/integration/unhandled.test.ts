/**
 * A promise rejected with no handler inside the exporter (a bug) is logged, without the key, and the
 * exporter goes on serving /metrics instead of ending the process.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import { Harness } from "./harness.ts";

const KEY = "unhandled-test-key-5e2a";
const harness = new Harness();
let sim: Simulator;

beforeAll(() => {
  sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: KEY });
});
afterAll(async () => {
  await harness.cleanup();
  await sim.stop();
});

test("an unhandled rejection is logged with its stack, the key redacted, and /metrics is still served", async () => {
  const proc = harness.spawn("exporter", [process.execPath, "run", join(import.meta.dir, "fixtures", "unhandled.ts")], {
    NVIDIA_API_KEY: KEY,
    NVIDIA_ORG_NAME: sim.orgName,
    NVIDIA_API_BASE_URL: sim.url,
    LISTEN_ADDRESS: "127.0.0.1:0",
    DB_PATH: ":memory:",
  });
  const [, url] = await proc.waitForLine(/msg=listening url=(http:\/\/\S+)/);
  await proc.waitForLine(/msg="unexpected error \(a bug, please report it\); the exporter goes on" error="a lost background task/);
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(await res.text()).toContain("nvidia_cls_up{");
  expect(proc.exited()).toBe(false);
  expect(proc.output()).toContain("stack=");
  expect(proc.output()).not.toContain(KEY);
  expect(await proc.stop()).toBe(0);
}, 30_000);
