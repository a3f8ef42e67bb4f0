import { afterEach, describe, expect, test } from "bun:test";
import { createHttp, DEFAULT_HTTP_OPTIONS, parseRetryAfter } from "../../src/cls/http.ts";
import { ClsError } from "../../src/errors.ts";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import { budget, KEY } from "./harness.ts";

let sim: Simulator;
afterEach(() => sim?.stop());

/** An http client whose sleeps are recorded and skipped, so backoff is observable without waiting. */
function recordingHttp(baseUrl: string, opts: { requestTimeoutMs?: number; random?: number } = {}) {
  const sleeps: number[] = [];
  const attempts: string[] = [];
  // A virtual clock that only sleeping moves: the code under test sees the time it waited go by, and no other.
  const base = Date.now();
  let slept = 0;
  const get = createHttp(
    { ...DEFAULT_HTTP_OPTIONS, baseUrl, apiKey: () => KEY, userAgent: "t", requestTimeoutMs: opts.requestTimeoutMs ?? 2_000 },
    {
      fetch: (u, i) => fetch(u, i),
      sleep: async (ms, s) => {
        sleeps.push(ms);
        slept += ms;
        if (s.aborted) throw s.reason;
      },
      random: () => opts.random ?? 0.5,
      now: () => base + slept,
      onAttempt: (e, o) => attempts.push(`${e}:${o}`),
    },
  );
  const vgs = (s = budget()) => get({ endpoint: "virtual_groups", path: "/v1/org/lic-example/virtual-groups", budget: s });
  return { get, vgs, sleeps, attempts };
}

/** Polls the simulator's bookkeeping, which trails the client's by a moment. */
async function waitUntil(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await Bun.sleep(5);
  expect(cond()).toBe(true);
}

const start = () => (sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: KEY }));

describe("retries", () => {
  test("5xx is retried with growing jittered backoff, then succeeds", async () => {
    start();
    sim.setFaults([{ endpoint: "virtual_groups", status: 503, times: 2 }]);
    const h = recordingHttp(sim.url);
    expect(await h.vgs()).toHaveProperty("virtualGroups");
    expect(h.attempts).toEqual(["virtual_groups:503", "virtual_groups:503", "virtual_groups:200"]);
    // full jitter: random (0.5) × base (200 ms) × 2^attempt
    expect(h.sleeps).toEqual([100, 200]);
  });

  test("429 honours Retry-After (seconds)", async () => {
    start();
    sim.setFaults([{ endpoint: "virtual_groups", status: 429, retryAfter: "3", times: 1 }]);
    const h = recordingHttp(sim.url);
    await h.vgs(budget(60_000));
    expect(h.sleeps).toEqual([3_000]);
    expect(h.attempts).toEqual(["virtual_groups:429", "virtual_groups:200"]);
  });

  test("a long Retry-After holds back every later request (up to pauseMaxMs): no call is made before it", async () => {
    start();
    sim.setFaults([{ endpoint: "virtual_groups", status: 429, retryAfter: "3600", times: 1 }]);
    const h = recordingHttp(sim.url);
    const err = await h.vgs(budget(60_000)).catch((e) => e);
    expect(err).toMatchObject({ kind: "http", status: 429 });
    // The pause outlasts the budget: given up at once, without waiting or calling again.
    expect(h.sleeps).toEqual([]);
    expect(await h.vgs(budget(60_000)).catch((e) => e)).toMatchObject({
      kind: "http",
      status: 429,
      message: expect.stringContaining("not called"),
    });
    expect(h.attempts).toEqual(["virtual_groups:429"]);
    // A budget that outlasts the pause (cut to pauseMaxMs) waits it out, then calls.
    await h.vgs(budget(DEFAULT_HTTP_OPTIONS.pauseMaxMs + 60_000));
    expect(h.attempts).toEqual(["virtual_groups:429", "virtual_groups:200"]);
    expect(h.sleeps).toEqual([DEFAULT_HTTP_OPTIONS.pauseMaxMs]);
  });

  test("a wait that would outlast the refresh fails at once, with the real cause", async () => {
    start();
    sim.setFaults([{ endpoint: "virtual_groups", status: 429, retryAfter: "25" }]);
    const h = recordingHttp(sim.url);
    expect(await h.vgs(budget(2_000)).catch((e) => e)).toMatchObject({ kind: "http", status: 429 });
    expect(h.sleeps).toEqual([]);
    expect(h.attempts).toEqual(["virtual_groups:429"]);
  });

  test("gives up after maxAttempts with a typed error naming endpoint and status", async () => {
    start();
    sim.setFaults([{ endpoint: "virtual_groups", status: 502 }]);
    const h = recordingHttp(sim.url);
    const err = await h.vgs().catch((e) => e);
    expect(err).toBeInstanceOf(ClsError);
    expect(err).toMatchObject({ kind: "http", endpoint: "virtual_groups", status: 502, reason: "5xx" });
    expect(h.attempts).toHaveLength(DEFAULT_HTTP_OPTIONS.maxAttempts);
  });

  test.each([400, 401, 403, 404])("%d is not retried", async (status) => {
    start();
    sim.setFaults([{ endpoint: "virtual_groups", status }]);
    const h = recordingHttp(sim.url);
    expect(await h.vgs().catch((e) => e)).toMatchObject({ kind: "http", status });
    expect(h.attempts).toEqual([`virtual_groups:${status}`]);
  });

  test("a wrong key is a 401 from the simulator and is not retried", async () => {
    start();
    const h = createHttp(
      { ...DEFAULT_HTTP_OPTIONS, baseUrl: sim.url, apiKey: () => "wrong", userAgent: "t", requestTimeoutMs: 1_000 },
      { fetch: (u, i) => fetch(u, i), sleep: async () => {}, random: Math.random, now: Date.now },
    );
    expect(
      await h({ endpoint: "virtual_groups", path: "/v1/org/lic-example/virtual-groups", budget: budget() }).catch((e) => e),
    ).toMatchObject({ status: 401 });
    expect(sim.stats().total).toBe(1);
  });

  test("malformed JSON is a decode error and is not retried", async () => {
    start();
    sim.setFaults([{ endpoint: "virtual_groups", malformed: true }]);
    const h = recordingHttp(sim.url);
    expect(await h.vgs().catch((e) => e)).toMatchObject({ kind: "decode", endpoint: "virtual_groups" });
    expect(h.attempts).toEqual(["virtual_groups:decode"]);
  });

  test("connection refused is a network error, retried", async () => {
    start();
    const url = sim.url;
    await sim.stop();
    const h = recordingHttp(url);
    expect(await h.vgs().catch((e) => e)).toMatchObject({ kind: "network", endpoint: "virtual_groups" });
    expect(h.attempts).toEqual(Array(DEFAULT_HTTP_OPTIONS.maxAttempts).fill("virtual_groups:network"));
  });
});

describe("timeouts", () => {
  test("a hung call times out per request and is retried", async () => {
    start();
    sim.setFaults([{ endpoint: "virtual_groups", hang: true, times: 1 }]);
    const h = recordingHttp(sim.url, { requestTimeoutMs: 150 });
    expect(await h.vgs()).toHaveProperty("virtualGroups");
    expect(h.attempts).toEqual(["virtual_groups:timeout", "virtual_groups:200"]);
  });

  test("the refresh deadline ends a call at once and is not retried", async () => {
    start();
    sim.setFaults([{ endpoint: "virtual_groups", hang: true }]);
    // The per-request timeout is out of reach: only the refresh's signal can end the hung call.
    const h = recordingHttp(sim.url, { requestTimeoutMs: 600_000 });
    const refresh = new AbortController();
    const pending = h.vgs({ signal: refresh.signal, deadline: Date.now() + 600_000 }).catch((e) => e);
    await waitUntil(() => sim.stats().inFlight === 1);
    refresh.abort();
    const err = (await pending) as ClsError;
    expect(err).toMatchObject({ kind: "timeout", endpoint: "virtual_groups" });
    expect(err.message).toContain("SCRAPE_TIMEOUT");
    expect(h.attempts).toEqual(["virtual_groups:timeout"]);
    expect(h.sleeps).toEqual([]);
  });
});

test("redirects are not followed, so the key never travels to another host", async () => {
  const seen: (string | null)[] = [];
  const elsewhere = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (req) => {
      seen.push(req.headers.get("x-api-key"));
      return Response.json({ virtualGroups: [] });
    },
  });
  const redirecting = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () => Response.redirect(`http://127.0.0.1:${elsewhere.port}/v1/org/lic-example/virtual-groups`, 302),
  });
  try {
    const h = recordingHttp(`http://127.0.0.1:${redirecting.port}`);
    expect(await h.vgs().catch((e) => e)).toMatchObject({ kind: "http", status: 302 });
    expect(h.attempts).toEqual(["virtual_groups:302"]);
    expect(seen).toEqual([]);
  } finally {
    elsewhere.stop(true);
    redirecting.stop(true);
  }
});

test("the key is scrubbed from error text even when CLS echoes it", async () => {
  start();
  sim.setFaults([{ endpoint: "virtual_groups", status: 400, body: { message: `bad key ${KEY}` } }]);
  const err = (await recordingHttp(sim.url)
    .vgs()
    .catch((e) => e)) as ClsError;
  expect(err.message).toContain("[redacted]");
  expect(err.message).not.toContain(KEY);
});

test("no part of the key survives when CLS echoes it across the cut of the error excerpt", async () => {
  start();
  // The excerpt keeps 200 characters; the key starts a few before the cut.
  const pad = "x".repeat(200 - 16 - '{"message":"'.length);
  sim.setFaults([{ endpoint: "virtual_groups", status: 400, body: { message: `${pad}${KEY}` } }]);
  const err = (await recordingHttp(sim.url)
    .vgs()
    .catch((e) => e)) as ClsError;
  expect(err.message).not.toContain(KEY.slice(0, 8));
});

describe("parseRetryAfter", () => {
  test.each([
    ["5", 5_000],
    [" 0 ", 0],
    ["Thu, 01 Jan 1970 00:00:10 GMT", 10_000],
    ["Thu, 01 Jan 1970 00:00:00 GMT", 0],
    ["soon", undefined],
    ["-1", undefined],
  ])("%p", (value, ms) => expect(parseRetryAfter(value, 0)).toBe(ms as number));
  test("absent", () => expect(parseRetryAfter(null, 0)).toBeUndefined());
});
