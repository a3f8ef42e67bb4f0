/** The open-files limit as the exporter process sees it at start: logged, and warned about when low. */
import { afterAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { fdNeed, parseFdLimit } from "../../src/fd-limit.ts";
import { Harness } from "../integration/harness.ts";

const harness = new Harness();
afterAll(() => harness.cleanup(), 30_000);

// Nothing listens on port 1: these exporters only need to start.
const ENV = { NVIDIA_API_KEY: "fd-test-key", NVIDIA_ORG_NAME: "o", NVIDIA_API_BASE_URL: "http://127.0.0.1:1" };
const under = (limit: string) => ["sh", "-c", `${limit}; exec "$@"`, "sh"];

test("started under `ulimit -n 64`: a warning naming the limit, what is needed and how to raise it; it still serves", async () => {
  const ex = await harness.startExporter(ENV, { prefix: under("ulimit -n 64") });
  const line = await ex.proc.waitForLine(/level=warn msg="open files limit is low[^\n]*/);
  expect(line[0]).toContain(`limit=64 hard_limit=64 needed=${fdNeed(8)}`);
  expect(line[0]).toContain("LimitNOFILE");
  expect((await fetch(`${ex.url}/healthz`)).status).toBe(200);
}, 30_000);

test("a low soft limit under a high hard one is raised by Bun at start: no warning", async () => {
  const hard = parseFdLimit(readFileSync("/proc/self/limits", "utf8"))!.hard;
  expect(hard).toBeGreaterThanOrEqual(fdNeed(8)); // this machine's hard limit leaves room to test it
  const ex = await harness.startExporter(ENV, { prefix: under("ulimit -Sn 64") });
  const line = await ex.proc.waitForLine(/level=info msg="open files limit"[^\n]*/);
  expect(line[0]).toContain(`limit=${hard} hard_limit=${hard}`);
  expect(ex.proc.output()).not.toContain("open files limit is low");
}, 30_000);
