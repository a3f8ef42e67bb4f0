import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import { LOG_LIMIT, RequestLog } from "../../src/sim/stats.ts";
import { API_KEY, call, orgPath } from "./helpers.ts";

let sim: Simulator;
const ctl = (path: string, init?: RequestInit) => fetch(`${sim.url}/_sim/${path}`, init);
const ctlJson = async (path: string, init?: RequestInit): Promise<any> => (await ctl(path, init)).json();

beforeAll(() => {
  sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: API_KEY });
});
beforeEach(async () => {
  await ctl("faults", { method: "DELETE" });
  await ctl("reset-stats", { method: "POST" });
});
afterAll(async () => {
  await sim.stop();
});

describe("control API (no API key needed)", () => {
  test("stats count CLS calls per endpoint, log headers without the key", async () => {
    await call(sim, orgPath(sim));
    await call(sim, orgPath(sim, "/4101/license-servers"));
    await call(sim, orgPath(sim, "/4101/license-servers"), { key: "bad" });
    const stats = await ctlJson("stats");
    expect(stats.total).toBe(3);
    expect(stats.byEndpoint).toEqual({ virtual_groups: 1, license_servers: 2 });
    expect(stats.byStatus).toEqual({ "200": 2, "401": 1 });
    expect(stats.requests.map((r: { keyOk: boolean }) => r.keyOk)).toEqual([true, true, false]);
    expect(stats.requests[0].headers["x-api-key"]).toBeUndefined();
    expect(stats.requests[0].headers.accept).toBe("application/json");
    expect(JSON.stringify(stats)).not.toContain(API_KEY);
  });

  test("reset-stats zeroes the counters", async () => {
    await call(sim, orgPath(sim));
    expect((await ctl("reset-stats", { method: "POST" })).status).toBe(200);
    const stats = await ctlJson("stats");
    expect(stats.total).toBe(0);
    expect(stats.requests).toEqual([]);
  });

  test("inFlightPeak sees concurrent requests", async () => {
    sim.setFaults([{ endpoint: "virtual_group", latencyMs: 80 }]);
    await Promise.all([1, 2, 3, 4].map(() => call(sim, orgPath(sim, "/4101"))));
    expect(sim.stats().inFlightPeak).toBe(4);
    expect(sim.stats().inFlight).toBe(0);
  });

  test("PUT faults installs rules, GET lists them, DELETE clears them", async () => {
    const put = await ctl("faults", { method: "PUT", body: JSON.stringify([{ endpoint: "virtual_groups", status: 500, times: 3 }]) });
    expect(put.status).toBe(200);
    expect((await call(sim, orgPath(sim))).status).toBe(500);
    const listed = await ctlJson("faults");
    expect(listed).toEqual([{ rule: { endpoint: "virtual_groups", status: 500, times: 3 }, remaining: 2, hits: 1 }]);
    await ctl("faults", { method: "DELETE" });
    expect((await call(sim, orgPath(sim))).status).toBe(200);
  });

  test("PUT faults answers 400 with a message on bad input and keeps the old rules", async () => {
    sim.setFaults([{ endpoint: "virtual_groups", status: 418 }]);
    const cases: [string, string][] = [
      ["{not json", "not JSON"],
      [JSON.stringify({ endpoint: "leases" }), "expected array"],
      [JSON.stringify([{ endpoint: "nope" }]), "endpoint"],
      [JSON.stringify([{ endpoint: "leases", status: "x" }]), "status"],
      [JSON.stringify([{ endpoint: "leases", typo: true }]), "typo"],
    ];
    for (const [body, message] of cases) {
      const res = await ctl("faults", { method: "PUT", body });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toContain(message);
    }
    expect((await call(sim, orgPath(sim))).status).toBe(418);
  });

  test("POST tick churns leases and validates n", async () => {
    const before = JSON.stringify(sim.model.clientsByVg.get(4101));
    const res = await ctl("tick?n=5", { method: "POST" });
    expect(res.status).toBe(200);
    const result: any = await res.json();
    expect(result.added + result.removed).toBeGreaterThanOrEqual(5);
    expect(JSON.stringify([...sim.model.clientsByVg.values()])).not.toBe(before);
    expect((await ctl("tick?n=0", { method: "POST" })).status).toBe(400);
    expect((await ctl("tick?n=x", { method: "POST" })).status).toBe(400);
  });

  test("GET expected matches expected() and honours page-size", async () => {
    expect(await ctlJson("expected")).toEqual(JSON.parse(JSON.stringify(sim.expected())));
    const paged = await ctlJson("expected?page-size=1");
    expect(paged.calls).toEqual({ pageSize: 1, virtualGroupPages: 2, licenseServerPages: 3, licensePools: 3, leases: 3, total: 11 });
  });

  test("unknown control routes 404, wrong methods 405", async () => {
    expect((await ctl("nope")).status).toBe(404);
    expect((await ctl("stats", { method: "DELETE" })).status).toBe(405);
  });
});

describe("request log", () => {
  test(`keeps only the last ${LOG_LIMIT} entries but counts all`, () => {
    const log = new RequestLog();
    const url = new URL("http://x/v1/org/o/virtual-groups");
    for (let i = 0; i < LOG_LIMIT + 5; i++) log.end(log.begin(new Request(url.href), url, "virtual_groups", true), 200);
    const stats = log.snapshot();
    expect(stats.total).toBe(LOG_LIMIT + 5);
    expect(stats.requests.length).toBe(LOG_LIMIT);
    expect(stats.requests[0]!.seq).toBe(6);
  });
});
