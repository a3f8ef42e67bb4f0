import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { Sleep } from "../../src/clock.ts";
import { decodeCompressed, loadScenario } from "../../src/sim/fixtures.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import { API_KEY, call, getJson, orgPath } from "./helpers.ts";

let sim: Simulator;
let held: HeldSleep;
const HQ = "ae65bb2a-e7e2-5f70-bb4c-b4d3e3bd12ac";
const EAST = "1c12855f-6858-5c64-af1f-28322734bf80";
const VFX = "1fe612d2-1d70-5091-a995-a64e4f28cbac";

beforeAll(() => {
  held = new HeldSleep();
  sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: API_KEY, sleep: held.sleep });
});
afterEach(() => {
  sim.clearFaults();
  held.releaseAll();
});
afterAll(async () => {
  await sim.stop();
});

/** The simulator's delays, held until the test releases them: what is delayed, and by how much, is seen without waiting. */
class HeldSleep {
  readonly waits: { ms: number; release: () => void }[] = [];
  sleep: Sleep = (ms, signal) =>
    new Promise((resolve, reject) => {
      this.waits.push({ ms, release: resolve });
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
  releaseAll(): void {
    for (const w of this.waits.splice(0)) w.release();
  }
}

/** A promise and whether it has settled yet. */
function tracked<T>(p: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let done = false;
  const promise = p.finally(() => {
    done = true;
  });
  return { promise, settled: () => done };
}

/** Server-side bookkeeping of an abort trails the client's by a moment; poll briefly. */
async function until(cond: () => boolean, ms = 1000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not reached");
    await Bun.sleep(5);
  }
}

describe("faults", () => {
  test("status with Retry-After hits only its endpoint", async () => {
    sim.setFaults([{ endpoint: "virtual_groups", status: 429, retryAfter: "7" }]);
    const res = await call(sim, orgPath(sim));
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("7");
    expect(res.headers.get("content-type")).toBe("application/json");
    expect((await call(sim, orgPath(sim, "/4101"))).status).toBe(200);
  });

  test("matchers restrict a rule to one group, server or instance", async () => {
    sim.setFaults([
      { endpoint: "license_servers", vgId: 4102, status: 500 },
      { endpoint: "license_pools", serverId: "0c435aa3-16bf-537f-b81a-6b259c7749a0", status: 503 },
      { endpoint: "leases", instanceId: EAST, status: 502 },
    ]);
    expect((await call(sim, orgPath(sim, "/4101/license-servers"))).status).toBe(200);
    expect((await call(sim, orgPath(sim, "/4102/license-servers"))).status).toBe(500);
    expect((await call(sim, orgPath(sim, "/4101/license-servers/0c435aa3-16bf-537f-b81a-6b259c7749a0/license-pools"))).status).toBe(503);
    expect((await call(sim, orgPath(sim, "/4101/license-servers/ee1f75a7-4ce5-589b-a846-44b96a1fc5dd/license-pools"))).status).toBe(200);
    const lease = (instance: string) => call(sim, orgPath(sim, "/4101/leases/all"), { headers: { "x-nv-service-instance-id": instance } });
    expect((await lease(EAST)).status).toBe(502);
    expect((await lease(HQ)).status).toBe(200);
  });

  test("times: the rule applies n times, then expires", async () => {
    sim.setFaults([{ endpoint: "virtual_group", status: 503, times: 2 }]);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(sim, orgPath(sim, "/4101"))).status);
    expect(statuses).toEqual([503, 503, 200]);
    expect(sim.faults()).toEqual([]);
  });

  test("latency delays only the matching endpoint", async () => {
    sim.setFaults([{ endpoint: "license_servers", latencyMs: 150 }]);
    const slow = tracked(call(sim, orgPath(sim, "/4101/license-servers")));
    await until(() => held.waits.length === 1);
    expect(held.waits.map((w) => w.ms)).toEqual([150]);
    await Bun.sleep(20);
    expect(slow.settled()).toBe(false);
    held.releaseAll();
    expect((await slow.promise).status).toBe(200);
    // Another endpoint answers without waiting at all.
    expect((await call(sim, orgPath(sim, "/4101"))).status).toBe(200);
    expect(held.waits).toEqual([]);
  });

  test("global latencyMs applies to every CLS call, not to the control API", async () => {
    const waits: number[] = [];
    const recorded: Sleep = async (ms) => {
      waits.push(ms);
    };
    const slow = startSimulator({ scenario: loadScenario("lic-example"), apiKey: API_KEY, latencyMs: 60, sleep: recorded });
    try {
      expect((await call(slow, orgPath(slow))).status).toBe(200);
      expect(waits).toEqual([60]);
      expect((await call(slow, orgPath(slow), { key: null })).status).toBe(401);
      expect(waits).toEqual([60, 60]);
      expect((await fetch(`${slow.url}/_sim/stats`)).status).toBe(200);
      expect(waits).toEqual([60, 60]);
    } finally {
      await slow.stop();
    }
  });

  test("hang: no answer until the client aborts; the simulator keeps serving", async () => {
    sim.resetStats();
    sim.setFaults([{ endpoint: "leases", hang: true }]);
    const client = new AbortController();
    const hung = tracked(
      call(sim, orgPath(sim, "/4101/leases/all"), { headers: { "x-nv-service-instance-id": HQ }, signal: client.signal }).then(
        () => null,
        (e: Error) => e,
      ),
    );
    await until(() => sim.stats().inFlight === 1);
    await Bun.sleep(20);
    expect(hung.settled()).toBe(false);
    client.abort();
    expect((await hung.promise)?.name).toBe("AbortError");
    await until(() => sim.stats().inFlight === 0);
    const entry = sim.stats().requests.find((r) => r.endpoint === "leases")!;
    expect(entry.aborted).toBe(true);
    expect(entry.faulted).toBe(true);
    expect((await call(sim, orgPath(sim))).status).toBe(200);
  });

  test("hang: stop() releases open requests instead of waiting for them", async () => {
    const other = startSimulator({ scenario: loadScenario("lic-example"), apiKey: API_KEY });
    other.setFaults([{ endpoint: "virtual_groups", hang: true }]);
    const pending = call(other, orgPath(other)).then(
      () => "answered",
      () => "failed",
    );
    await until(() => other.stats().inFlight === 1);
    // A stop() that waited for the hung request would never resolve: the hang has no end of its own.
    await other.stop();
    expect(await pending).toBe("failed");
  });

  test("malformed: 200 with JSON that does not parse", async () => {
    sim.setFaults([{ endpoint: "license_pools", malformed: true }]);
    const res = await call(sim, orgPath(sim, "/4102/license-servers/39d0765a-b520-5016-9b0e-21877b0cde94/license-pools"));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    const text = await res.text();
    expect(text.startsWith('{"licensePools":')).toBe(true);
    expect(() => JSON.parse(text)).toThrow();
  });

  test("body override replaces the JSON body (schema drift)", async () => {
    const drift = { virtualGroups: [{ id: "4101", name: 42 }], paginationInfo: null };
    sim.setFaults([{ endpoint: "virtual_groups", body: drift }]);
    const res = await call(sim, orgPath(sim));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(drift);
    sim.setFaults([{ endpoint: "virtual_groups", status: 503, body: { oops: true } }]);
    const err = await call(sim, orgPath(sim));
    expect(err.status).toBe(503);
    expect(await err.json()).toEqual({ oops: true });
  });

  test("corruptCompressed: valid base64 whose gzip stream is broken", async () => {
    sim.setFaults([{ endpoint: "leases", corruptCompressed: true }]);
    const body = await getJson(sim, orgPath(sim, "/4102/leases/all"), { headers: { "x-nv-service-instance-id": VFX } });
    expect(typeof body.compressedClients).toBe("string");
    expect(Buffer.from(body.compressedClients, "base64")[0]).toBe(0x1f);
    expect(() => decodeCompressed(body.compressedClients)).toThrow();
    sim.clearFaults();
    const fine = await getJson(sim, orgPath(sim, "/4102/leases/all"), { headers: { "x-nv-service-instance-id": VFX } });
    expect(fine.clients.length).toBe(3);
  });

  test("long-strings and absurd-numbers drift the first item's values, not its ids, at the rule's size", async () => {
    sim.setFaults([{ endpoint: "virtual_groups", drift: "long-strings", driftSize: 50 }]);
    const long = await getJson(sim, orgPath(sim, "?detailedView=true"));
    const [first, second] = long.virtualGroups;
    expect(first.name).toHaveLength(50);
    expect(String(first.id)).toHaveLength(4);
    expect(second.name.length).toBeLessThan(50);
    sim.setFaults([{ endpoint: "license_pools", drift: "absurd-numbers", driftSize: 30 }]);
    const absurd = await getJson(sim, orgPath(sim, "/4101/license-servers/0c435aa3-16bf-537f-b81a-6b259c7749a0/license-pools"));
    const numbers = JSON.stringify(absurd.licensePools[0]).match(/"9{30}"|-\d+/g) ?? [];
    expect(numbers.some((n) => n.startsWith('"9'))).toBe(true);
    expect(numbers.some((n) => n.startsWith("-"))).toBe(true);
  });

  test("setFaults rejects invalid rules", () => {
    expect(() => sim.setFaults([{ endpoint: "leasez" as "leases" }])).toThrow();
    expect(() => sim.setFaults([{ endpoint: "leases", times: 0 }])).toThrow();
  });
});

describe("page and item faults", () => {
  const leasesOf = (query: Record<string, string> = {}) =>
    getJson(sim, orgPath(sim, "/4102/leases/all"), { headers: { "x-nv-service-instance-id": VFX }, query });

  test("items: the list holds that many, the copies with unique ids and leaseIds; one page without paginationInfo", async () => {
    sim.setFaults([{ endpoint: "leases", items: 7 }]);
    const body = await leasesOf();
    expect(body.clients).toHaveLength(7);
    expect(body.paginationInfo).toBeUndefined();
    const leaseIds = body.clients.flatMap((c: { leases: { leaseId: string }[] }) => c.leases.map((l) => l.leaseId));
    expect(new Set(leaseIds).size).toBe(leaseIds.length);
  });

  test("items on a paged list: pages of the size asked, with totals", async () => {
    sim.setFaults([{ endpoint: "virtual_groups", items: 5 }]);
    const body = await getJson(sim, orgPath(sim), { query: { "page-number": "2", "page-size": "2" } });
    expect(body.virtualGroups.map((g: { id: string }) => g.id)).toEqual(["4101~2", "4102~3"]);
    expect(body.paginationInfo).toEqual({ pageNumber: 2, pageSize: 2, totalPages: 3, totalElements: 5 });
  });

  test("pageSize: pages of that size whatever page-size was asked", async () => {
    sim.setFaults([{ endpoint: "license_servers", items: 9, pageSize: 4 }]);
    const body = await getJson(sim, orgPath(sim, "/4101/license-servers"), { query: { "page-number": "1", "page-size": "2" } });
    expect(body.licenseServers).toHaveLength(4);
    expect(body.paginationInfo).toMatchObject({ pageSize: 4, totalPages: 3, totalElements: 9 });
  });

  test("endlessPages: every page brings new items and says another follows", async () => {
    sim.setFaults([{ endpoint: "leases", endlessPages: true }]);
    const one = await leasesOf();
    const fifty = await leasesOf({ "page-number": "50", "page-size": String(one.clients.length) });
    expect(fifty.paginationInfo).toMatchObject({ pageNumber: 50, totalPages: 51 });
    expect(fifty.clients).toHaveLength(one.clients.length);
    expect(JSON.stringify(fifty.clients)).not.toBe(JSON.stringify(one.clients));
  });

  test("repeatPage: every page number answers the first page, with or without ids", async () => {
    sim.setFaults([{ endpoint: "virtual_groups", repeatPage: "ids" }]);
    const first = await getJson(sim, orgPath(sim), { query: { "page-number": "1", "page-size": "100" } });
    const ninth = await getJson(sim, orgPath(sim), { query: { "page-number": "9", "page-size": "100" } });
    expect(ninth.virtualGroups).toEqual(first.virtualGroups);
    expect(ninth.paginationInfo).toMatchObject({ pageNumber: 9, totalPages: 10 });
    sim.setFaults([{ endpoint: "virtual_groups", repeatPage: "no-ids" }]);
    const bare = await getJson(sim, orgPath(sim), { query: { "page-number": "3", "page-size": "100" } });
    expect(bare.virtualGroups.map((g: { id?: string; name: string }) => [g.id, g.name])).toEqual(
      first.virtualGroups.map((g: { name: string }) => [undefined, g.name]),
    );
  });
});
