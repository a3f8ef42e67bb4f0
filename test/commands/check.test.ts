/**
 * `bun run src/index.ts --check` as a user runs it: a real process against the simulator over
 * 127.0.0.1, with the exporter's configuration. Exit codes, counts equal to what the simulator
 * served, and nothing in stdout or stderr that identifies the org's objects or holds the key.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Diagnosis, EndpointDiagnosis } from "../../src/commands/diagnosis.ts";
import type { FaultRuleInput } from "../../src/sim/faults.ts";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import { Harness } from "../integration/harness.ts";
import { identitiesOf, kindCounts } from "./served.ts";

const KEY = "check-test-key-3b8e61f0a2";
const TIMEOUT = 60_000;
const harness = new Harness();
let sim: Simulator;

beforeAll(() => {
  sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: KEY });
});
afterAll(async () => {
  await harness.cleanup();
  await sim.stop();
});
beforeEach(() => {
  sim.clearFaults();
  sim.resetStats();
});

const env = (extra: Record<string, string> = {}) => ({
  NVIDIA_API_KEY: KEY,
  NVIDIA_ORG_NAME: sim.orgName,
  NVIDIA_API_BASE_URL: sim.url,
  DB_PATH: join(harness.tempDir("cls-check-"), "history.db"),
  ...extra,
});

interface Run {
  code: number | null;
  out: string;
  err: string;
}
const outputs: Run[] = [];

const check = (args: string[], vars: Record<string, string>): Promise<Run> => cli(["--check", ...args], vars);

async function cli(args: string[], vars: Record<string, string>): Promise<Run> {
  const p = Bun.spawn([process.execPath, "run", "src/index.ts", ...args], {
    env: { PATH: process.env.PATH ?? "", ...vars },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, out, err] = await Promise.all([p.exited, new Response(p.stdout).text(), new Response(p.stderr).text()]);
  const run = { code, out, err };
  outputs.push(run);
  return run;
}

async function checkJson(faults: FaultRuleInput[] = [], vars = env()): Promise<{ run: Run; d: Diagnosis }> {
  sim.setFaults(faults);
  const run = await check(["--format", "json"], vars);
  return { run, d: JSON.parse(run.out) as Diagnosis };
}

const endpoint = (d: Diagnosis, name: string): EndpointDiagnosis => d.endpoints.find((e) => e.endpoint === name)!;

describe("--check", () => {
  test(
    "a healthy org: exit 0, every count what the simulator served",
    async () => {
      const { run, d } = await checkJson();
      expect(run.code).toBe(0);
      expect(d.version).toBe(1);
      expect(d.exitCode).toBe(0);
      expect(d.causes).toEqual([]);
      const served = sim.stats().byEndpoint;
      const kinds = kindCounts(sim.model);
      for (const e of d.endpoints) {
        expect(e.calls).toBe(served[e.endpoint]!);
        expect(e.retries).toBe(0);
        expect(e.outcomes).toEqual({ "200": served[e.endpoint]! });
        expect(e.pages).toBe(served[e.endpoint]!);
        expect(e.skipped + e.unreadable + e.failedParts).toBe(0);
        expect(e.latencyMs!.max).toBeGreaterThanOrEqual(e.latencyMs!.median);
        for (const [kind, n] of Object.entries(e.itemsByKind)) expect([kind, n]).toEqual([kind, kinds[kind]!]);
      }
      expect(Object.keys(endpoint(d, "virtual_groups").itemsByKind)).toEqual([
        "virtualGroup",
        "entitlement",
        "productKey",
        "entitlementFeature",
      ]);
      expect(Object.keys(endpoint(d, "leases").itemsByKind)).toEqual(["client", "lease"]);
      expect(endpoint(d, "virtual_groups").paging.shape).toBe("recognised");
      expect(endpoint(d, "license_pools").paging.shape).toBe("none");
      // The fixtures carry names the reference does not list (orgDescription) and documented ones the exporter does not read.
      expect(endpoint(d, "virtual_groups").unread.unknown.virtualGroup).toContain("orgDescription");
      expect(endpoint(d, "virtual_groups").unread.documented.virtualGroup).toContain("users");
      expect(endpoint(d, "leases").neverSent.answer).toEqual(["compressedClients"]);
    },
    TIMEOUT,
  );

  test(
    "the text report says what the json says",
    async () => {
      const { d } = await checkJson();
      sim.resetStats();
      const text = await check([], env());
      expect(text.code).toBe(0);
      const rows = text.out.split("\n").filter((l) => /^(virtual_groups|license_servers|license_pools|leases) /.test(l));
      expect(rows.map((r) => r.split(/\s+/).slice(0, 9))).toEqual(
        d.endpoints.map((e) =>
          [e.endpoint, e.calls, e.retries, e.failedParts, e.pages, e.paging.shape, e.items, e.skipped, e.unreadable].map(String),
        ),
      );
      for (const e of d.endpoints)
        for (const names of [...Object.values(e.unread.unknown), ...Object.values(e.unread.documented), ...Object.values(e.neverSent)])
          expect(text.out).toContain(names.join(", "));
      expect(text.out).toContain("Verdict: OK");
    },
    TIMEOUT,
  );

  test(
    "a wrong key: exit 1 with the 401 hint, and the key is printed nowhere",
    async () => {
      const wrong = "wrong-key-9c4d2e7f11";
      const { run, d } = await checkJson([], env({ NVIDIA_API_KEY: wrong }));
      expect(run.code).toBe(1);
      expect(d.exitCode).toBe(1);
      expect(d.causes).toEqual([
        { endpoint: "virtual_groups", reason: "401", parts: 1, hint: "CLS rejected the API key: check NVIDIA_API_KEY" },
      ]);
      expect(endpoint(d, "virtual_groups").outcomes).toEqual({ "401": 1 });
      expect(endpoint(d, "leases").calls).toBe(0);
      expect(run.out + run.err).not.toContain(wrong);
      const text = await check([], env({ NVIDIA_API_KEY: wrong }));
      expect(text.code).toBe(1);
      expect(text.out).toContain("Verdict: PROBLEMS (exit 1)");
      expect(text.out).toContain("virtual_groups 401 (1 part(s)): CLS rejected the API key: check NVIDIA_API_KEY");
      expect(text.out + text.err).not.toContain(wrong);
    },
    TIMEOUT,
  );

  test(
    "extra fields: the unknown names are listed per kind, and an org that only sends more is still understood",
    async () => {
      const { run, d } = await checkJson([{ endpoint: "license_pools", drift: "extra-fields" }]);
      expect(run.code).toBe(0);
      const pools = endpoint(d, "license_pools");
      expect(pools.unread.unknown).toEqual({ answer: ["unexpectedTopLevel"], licensePool: ["unexpectedField"] });
      expect(endpoint(d, "license_servers").unread.unknown).toEqual({});
    },
    TIMEOUT,
  );

  test(
    "wrong types: the unreadable items are counted by reason, exit 1 with the invalid-items hint",
    async () => {
      const { run, d } = await checkJson([{ endpoint: "license_servers", drift: "wrong-types" }]);
      expect(run.code).toBe(1);
      const servers = endpoint(d, "license_servers");
      expect(servers.unreadable).toBeGreaterThan(0);
      expect(servers.unreadableByReason).toEqual({ wrong_type: servers.unreadable });
      expect(servers.skipped).toBe(0);
      expect(d.causes.map((c) => [c.endpoint, c.reason])).toEqual([["license_servers", "invalid_items"]]);
      expect(d.causes[0]!.hint).toContain("nvidia_cls_invalid_items");
    },
    TIMEOUT,
  );

  test(
    "missing ids: the items dropped are counted as skipped",
    async () => {
      const { run, d } = await checkJson([{ endpoint: "license_pools", drift: "missing-ids", times: 1 }]);
      expect(run.code).toBe(1);
      expect(endpoint(d, "license_pools").skipped).toBe(1);
    },
    TIMEOUT,
  );

  test(
    "an unknown paging shape: its members are listed as not recognised",
    async () => {
      const { run, d } = await checkJson([{ endpoint: "virtual_groups", paging: "unknown-members" }]);
      expect(run.code).toBe(0);
      expect(endpoint(d, "virtual_groups").paging).toEqual({
        shape: "unrecognised",
        recognised: [],
        unrecognised: ["page", "size", "total", "last"],
        pagesWithout: 0,
        pastBound: 0,
      });
      expect(endpoint(d, "license_servers").paging.shape).toBe("recognised");
      sim.resetStats();
      const text = await check([], env());
      expect(text.out).toContain("paging members: -; not recognised: page, size, total, last");
    },
    TIMEOUT,
  );

  test(
    "beside a running exporter on the same DB_PATH and address: no lock taken, no port bound",
    async () => {
      const vars = env();
      const running = await harness.startExporter(vars, { waitUp: true });
      const r = await check([], { ...vars, LISTEN_ADDRESS: running.host });
      expect(r.code).toBe(0);
      expect(r.out).toContain("Verdict: OK");
      running.proc.assertAlive();
      expect((await fetch(`${running.url}/metrics`)).ok).toBe(true);
    },
    TIMEOUT,
  );

  test("--help names the commands", async () => {
    const p = Bun.spawn([process.execPath, "run", "src/index.ts", "--help"], { env: { PATH: process.env.PATH ?? "" }, stdout: "pipe" });
    const help = await new Response(p.stdout).text();
    expect(await p.exited).toBe(0);
    for (const s of ["--check", "--capture DIR", "--format json"]) expect(help).toContain(s);
  });

  test("no run printed the key or any identity the simulator served", () => {
    expect(outputs.length).toBeGreaterThan(8);
    const ids = identitiesOf(sim.model);
    expect(ids.strings.length).toBeGreaterThan(20);
    for (const { out, err } of outputs) {
      const all = out + err;
      expect(all).not.toContain(KEY);
      for (const s of ids.strings) expect([s, all.includes(s)]).toEqual([s, false]);
      for (const n of ids.numbers) expect([n, new RegExp(`\\b${n}\\b`).test(all)]).toEqual([n, false]);
    }
  });
});

describe("--capture DIR as a user runs it", () => {
  test(
    "the same diagnosis as --check, then the folder written; in json a capture member; nothing served in the output",
    async () => {
      const dir = join(harness.tempDir("cls-capture-cli-"), "capture");
      const text = await cli(["--capture", dir], env());
      expect(text.code).toBe(0);
      const checked = await check([], env());
      const at = text.out.lastIndexOf("\ncapture: ");
      const [report, summary] = [text.out.slice(0, at), text.out.slice(at)];
      // Latency figures differ between two runs, and with their width the padding before them; the rest is the same.
      const steady = (s: string) => s.replace(/\d+ \/ \d+$/gm, "").replace(/ +$/gm, "");
      expect(steady(report)).toBe(steady(checked.out));
      expect(summary).toMatch(/^\ncapture: \d+ requests written to .+; replay it with: npm run sim -- --replay /);
      const jsonDir = join(harness.tempDir("cls-capture-cli-"), "capture");
      const json = await cli(["--capture", jsonDir, "--format", "json"], env());
      expect(json.code).toBe(0);
      const d = JSON.parse(json.out) as Diagnosis & { capture: { ok: boolean; requests: number } };
      expect(d.version).toBe(1);
      expect(d.exitCode).toBe(0);
      expect(d.capture.ok).toBe(true);
      expect(d.capture.requests).toBe(d.endpoints.reduce((n, e) => n + e.calls + e.retries, 0));
      const ids = identitiesOf(sim.model);
      for (const run of [text, json]) {
        const all = run.out + run.err;
        expect(all).not.toContain(KEY);
        for (const id of ids.strings) expect([id, all.includes(id)]).toEqual([id, false]);
        for (const n of ids.numbers) expect([n, new RegExp(`\\b${n}\\b`).test(all)]).toEqual([n, false]);
      }
    },
    TIMEOUT,
  );
});
