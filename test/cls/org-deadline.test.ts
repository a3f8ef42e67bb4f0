import { afterEach, describe, expect, test } from "bun:test";
import { abortableSleep } from "../../src/clock.ts";
import { createClient } from "../../src/cls/client.ts";
import { createHttp, DEFAULT_HTTP_OPTIONS, type HttpDeps } from "../../src/cls/http.ts";
import { fetchOrg, ORG_SHARE } from "../../src/cls/org.ts";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import { FakeTime } from "../fake-time.ts";
import { KEY } from "./harness.ts";

/**
 * The org-level call (the group list) has ORG_SHARE of the refresh's budget, all its attempts and
 * pages together; past it the rest of the refresh runs on the last known groups. The deadlines run on
 * a fake clock; the per-attempt timeout is far beyond it, so only the org deadline can end a call.
 */
const TIMEOUT_MS = 9_000;
const ORG_MS = Math.floor(TIMEOUT_MS * ORG_SHARE);

let sim: Simulator | undefined;
afterEach(() => sim?.stop());

function clientOn(time: FakeTime, baseUrl: string, fetch: HttpDeps["fetch"]) {
  const http = createHttp(
    { ...DEFAULT_HTTP_OPTIONS, baseUrl, apiKey: () => KEY, userAgent: "exporter-test/1", requestTimeoutMs: 600_000 },
    { fetch, sleep: abortableSleep, random: () => 0, now: () => time.now },
  );
  return createClient(http, { orgName: "lic-example", serviceInstanceId: undefined, invalid: new Map() });
}

const optsOn = (time: FakeTime) => ({ parallelism: 4, timeoutMs: TIMEOUT_MS, now: () => time.now, timers: time });

/** The promise, and whether it has settled yet (after the event loop had a few turns). */
function watch<T>(p: Promise<T>) {
  const state = { settled: false };
  p.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  const settled = async () => {
    await Bun.sleep(20);
    return state.settled;
  };
  return { p, settled };
}

async function until(what: string, ok: () => boolean) {
  for (let i = 0; i < 200 && !ok(); i++) await Bun.sleep(5);
  if (!ok()) throw new Error(`never: ${what}`);
}

describe("a hung group list against the simulator", () => {
  test("abandoned at its share of the budget; servers, pools and leases fetched fresh from the last known groups", async () => {
    sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: KEY });
    const time = new FakeTime();
    const client = clientOn(time, sim.url, (u, i) => fetch(u, i));
    const first = await fetchOrg(client, undefined, optsOn(time));
    expect(first.failures).toEqual([]);
    const healthy = sim.stats().total;
    const leasesBefore = Object.fromEntries(first.data.leases);

    sim.tick(40);
    sim.setFaults([{ endpoint: "virtual_groups", hang: true }]);
    const refresh = watch(fetchOrg(client, first.data, optsOn(time)));
    await until("the group list in flight", () => sim!.stats().inFlight === 1);
    await time.advance(ORG_MS - 1);
    expect(await refresh.settled()).toBe(false);
    expect(sim.stats().inFlight).toBe(1);
    await time.advance(1);
    const second = await refresh.p;

    expect(second.failures.map((f) => [f.endpoint, f.reason, f.stale])).toEqual([["virtual_groups", "timeout", true]]);
    expect(second.failures[0]!.message).toContain("org-level deadline (a third of SCRAPE_TIMEOUT) exceeded");
    // The group list kept, every call below it made (one group list call, not retried) and answered with the moved truth.
    expect(second.data.virtual_groups).toEqual(first.data.virtual_groups);
    expect(second.succeeded).toBe(first.succeeded - 1);
    expect(sim.stats().total - healthy).toBe(healthy);
    expect(Object.fromEntries(second.data.leases)).not.toEqual(leasesBefore);
    sim.clearFaults();
    const truth = await fetchOrg(client, undefined, optsOn(time));
    // By part key: parts arrive in any order.
    for (const endpoint of ["license_servers", "license_pools", "leases"] as const)
      expect(Object.fromEntries(second.data[endpoint])).toEqual(Object.fromEntries(truth.data[endpoint]));
    expect(time.pending()).toBe(0);
  });

  test("the first refresh has no last known groups: nothing else is called, nothing fetched", async () => {
    sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: KEY });
    sim.setFaults([{ endpoint: "virtual_groups", hang: true }]);
    const time = new FakeTime();
    const refresh = fetchOrg(
      clientOn(time, sim.url, (u, i) => fetch(u, i)),
      undefined,
      optsOn(time),
    );
    await until("the group list in flight", () => sim!.stats().inFlight === 1);
    await time.advance(ORG_MS);
    const { failures, succeeded, data } = await refresh;
    expect(failures.map((f) => [f.endpoint, f.reason, f.stale])).toEqual([["virtual_groups", "timeout", false]]);
    expect(succeeded).toBe(0);
    expect(Object.values(data).every((parts) => parts.size === 0)).toBe(true);
    expect(sim.stats().total).toBe(1);
  });
});

/** A group list of two pages, served by hand: each page answers when the test says. */
function pagedGroups(time: FakeTime) {
  const calls: string[] = [];
  const page = (n: number) => ({
    virtualGroups: [{ id: 4100 + n, name: `group ${n}`, entitlements: [] }],
    paginationInfo: { pageNumber: n, pageSize: 1, totalPages: 2, totalElements: 2 },
  });
  const answerAfter = (ms: number, n: number) =>
    new Promise<Response>((resolve) => time.setTimeout(() => resolve(Response.json(page(n))), ms));
  const fetch: HttpDeps["fetch"] = (url, init) => {
    calls.push(url);
    if (url.includes("page-number=2")) {
      // Never answers: it ends only when the request is aborted.
      return new Promise((_, reject) => init.signal?.addEventListener("abort", () => reject(init.signal?.reason), { once: true }));
    }
    return answerAfter(ORG_MS - 1_000, 1);
  };
  return { fetch, calls };
}

describe("a paged group list", () => {
  test("the share bounds all its pages together: page 2 hanging is abandoned at the share, not one share after it started", async () => {
    const time = new FakeTime();
    const groups = pagedGroups(time);
    const refresh = watch(fetchOrg(clientOn(time, "http://127.0.0.1:9", groups.fetch), undefined, optsOn(time)));
    await until("page 1 asked for", () => groups.calls.length === 1);
    await time.advance(ORG_MS - 1_000);
    await until("page 2 asked for", () => groups.calls.length === 2);
    await time.advance(999);
    expect(await refresh.settled()).toBe(false);
    await time.advance(1);
    const { failures, succeeded } = await refresh.p;
    expect(failures.map((f) => [f.endpoint, f.reason])).toEqual([["virtual_groups", "timeout"]]);
    expect(failures[0]!.message).toContain("org-level deadline");
    expect(succeeded).toBe(0);
    expect(groups.calls).toHaveLength(2);
    expect(time.pending()).toBe(0);
  });
});
