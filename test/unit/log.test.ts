import { afterEach, describe, expect, test } from "bun:test";
import { createLogger } from "../../src/log.ts";
import { OutageLog } from "../../src/outage.ts";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import { outcomeLogger } from "../../src/snapshot/refresh-log.ts";
import { createRefresher, newStats } from "../../src/snapshot/refresher.ts";
import { clientFor, KEY } from "../cls/harness.ts";
import { snapshotAt } from "../store/helpers.ts";

const T0 = Date.UTC(2026, 10, 22, 8, 0, 0);

describe("log formats and levels", () => {
  test("logfmt quotes what needs quoting; json is one object per line with time, level and msg first", () => {
    const lines: string[] = [];
    const fields = { endpoint: "leases", error: 'bad "x" = y', n: 3, ok: true, gone: undefined };
    createLogger({ write: (l) => lines.push(l), now: () => T0 }).warn("refresh incomplete", fields);
    createLogger({ write: (l) => lines.push(l), now: () => T0, format: "json" }).warn("refresh incomplete", {
      ...fields,
      msg: "spoofed",
      level: "debug",
    });
    expect(lines[0]).toBe(
      'time=2026-11-22T08:00:00.000Z level=warn msg="refresh incomplete" endpoint=leases error="bad \\"x\\" = y" n=3 ok=true\n',
    );
    expect(lines[1]!.endsWith("\n")).toBe(true);
    const obj = JSON.parse(lines[1]!);
    expect(Object.keys(obj).slice(0, 3)).toEqual(["time", "level", "msg"]);
    expect(obj).toEqual({
      time: "2026-11-22T08:00:00.000Z",
      level: "warn",
      msg: "refresh incomplete",
      endpoint: "leases",
      error: 'bad "x" = y',
      n: 3,
      ok: true,
    });
  });

  test("lines below the level are dropped", () => {
    const lines: string[] = [];
    const log = createLogger({ write: (l) => lines.push(l), level: "warn", format: "json" });
    log.debug("a");
    log.info("b");
    log.warn("c");
    log.error("d");
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(["c", "d"]);
  });
});

describe("OutageLog", () => {
  test("first failure, repeats quiet for the reminder period, a new signature at once, recovery once", () => {
    let now = 0;
    const o = new OutageLog(() => now, 600_000);
    expect(o.fail("a")).toMatchObject({ log: true, first: true });
    now = 60_000;
    expect(o.fail("a")).toMatchObject({ log: false, failures: 2 });
    now = 120_000;
    expect(o.fail("b")).toMatchObject({ log: true, first: false, repeated: 1, failures: 3 });
    now = 600_000;
    expect(o.fail("b").log).toBe(false);
    now = 720_000;
    expect(o.fail("b")).toMatchObject({ log: true, repeated: 1, failures: 5, sinceMs: 720_000 });
    expect(o.recover()).toEqual({ failures: 5, sinceMs: 720_000 });
    expect(o.recover()).toBeUndefined();
  });
});

describe("refresh outcome lines", () => {
  let sim: Simulator | undefined;
  afterEach(() => sim?.stop());

  test("one line per refresh, with duration and calls; identical failures are rate-limited; recovery is logged once; steady success at debug", async () => {
    sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: KEY });
    // The refresher's clock moves by minutes from now; the HTTP layer under it keeps the real one,
    // so the clock must not start in the past (the refresh budget would be spent before it began).
    const start = Date.now();
    let clock = start;
    const lines: Record<string, unknown>[] = [];
    const log = createLogger({ write: (l) => lines.push(JSON.parse(l)), now: () => clock, level: "debug", format: "json" });
    const stats = newStats();
    const { client, invalid } = clientFor(sim, { stats });
    const refresh = createRefresher({
      client,
      invalid,
      stats,
      parallelism: 8,
      timeoutMs: 5_000,
      now: () => clock,
      log,
    });
    const at = async (minute: number) => {
      clock = start + minute * 60_000;
      await refresh();
      return lines.at(-1)!;
    };

    expect(await at(0)).toMatchObject({ level: "info", msg: "refresh succeeded", calls: 9 });
    sim.setFaults([{ endpoint: "license_servers", status: 500 }]);
    const first = await at(1);
    expect(first).toMatchObject({
      level: "warn",
      msg: "refresh incomplete",
      endpoint: "license_servers",
      reason: "500",
      failed_parts: 2,
      serving_last_good: 2,
    });
    // The group list, 4 attempts per group's server list, then pools and leases of the last good servers.
    expect(first.calls).toBe(1 + 2 * 4 + 3 + 3);
    expect(typeof first.duration_ms).toBe("number");
    expect(first.hint).toContain("server error");
    // The same failure: debug only, for ten minutes, then a warn saying how many went unlogged.
    for (let m = 2; m <= 10; m++) expect(await at(m)).toMatchObject({ level: "debug", endpoint: "license_servers", reason: "500" });
    expect(await at(11)).toMatchObject({ level: "warn", same_failure_unlogged: 9, failing_for_s: 600 });
    // Another cause is news at once.
    sim.setFaults([{ endpoint: "virtual_groups", status: 401 }]);
    expect(await at(12)).toMatchObject({
      level: "warn",
      msg: "refresh failed",
      endpoint: "virtual_groups",
      reason: "401",
      calls: 1,
      fresh_parts: 0,
      hint: expect.stringContaining("NVIDIA_API_KEY"),
    });
    sim.clearFaults();
    expect(await at(13)).toMatchObject({
      level: "info",
      msg: "refresh succeeded",
      recovered_after_failed_refreshes: 12,
      failing_for_s: 720,
    });
    // Steady success is quiet at the default level.
    expect(await at(14)).toMatchObject({ level: "debug", msg: "refresh succeeded" });
    expect(lines).toHaveLength(15);
  });
});

describe("outcomeLogger", () => {
  test("success is info when it is news (first, another number of servers or features), else debug", () => {
    const levels: string[] = [];
    const log = createLogger({ write: (l) => levels.push(JSON.parse(l).level), level: "debug", format: "json" });
    const outcome = outcomeLogger(log, () => 0);
    const one = snapshotAt(1, { "s1/vpc": 1 });
    const two = snapshotAt(2, { "s1/vpc": 1, "s1/vws": 2 });
    for (const s of [one, one, two, two, one]) outcome(s, 9, 10, 9);
    expect(levels).toEqual(["info", "debug", "info", "debug", "info"]);
  });
});
