import { describe, expect, test } from "bun:test";
import type { ResourceMetrics } from "@opentelemetry/sdk-metrics";
import { failureReason, OtlpPusher, type Sender } from "../../src/otlp/push.ts";
import { newOtlpStats } from "../../src/otlp/stats.ts";
import type { View } from "../../src/render/catalog.ts";
import { newStats } from "../../src/snapshot/refresher.ts";
import { FakeTime } from "../fake-time.ts";

const INTERVAL = 60_000;
const TIMEOUT = 10_000;

const grpcError = (code: number) => Object.assign(new Error(`${code} some status`), { code });

/** A sender whose answers the test controls: each send waits for answer(). */
function controlledSender() {
  const pending: Array<(err?: Error) => void> = [];
  const sent: ResourceMetrics[] = [];
  let shutdowns = 0;
  const sender: Sender = {
    send: (m) =>
      new Promise<void>((resolve, reject) => {
        sent.push(m);
        pending.push((err) => (err ? reject(err) : resolve()));
      }),
    shutdown: async () => void shutdowns++,
  };
  return { sender, sent, answer: (err?: Error) => pending.shift()!(err), inFlight: () => pending.length, shutdowns: () => shutdowns };
}

function setup() {
  const time = new FakeTime();
  const s = controlledSender();
  const lines: string[] = [];
  const log = {
    debug() {},
    info: (m: string) => void lines.push(`info ${m}`),
    warn: (m: string, f?: Record<string, unknown>) => void lines.push(`warn ${m} ${f?.reason}`),
    error: (m: string) => void lines.push(`error ${m}`),
  };
  const stats = newOtlpStats();
  let views = 0;
  const view = (tag: string): View => ({ snapshot: undefined, stats: newStats(), build: { version: tag, revision: "r", bunVersion: "b" } });
  const pusher = new OtlpPusher({
    intervalMs: INTERVAL,
    timeoutMs: TIMEOUT,
    view: async () => view(`scheduled-${++views}`),
    current: () => view("final"),
    build: (v) => ({ tag: v.build.version }) as unknown as ResourceMetrics,
    sender: s.sender,
    stats,
    endpoint: "http://collector:4317",
    log,
    now: () => time.now,
    timers: time,
  });
  const tags = () => s.sent.map((m) => (m as unknown as { tag: string }).tag);
  return { time, s, lines, stats, pusher, tags };
}

describe("OtlpPusher", () => {
  test("pushes at start, then once per interval, counting each export", async () => {
    const { time, s, pusher, stats, tags } = setup();
    pusher.start();
    await time.advance(0);
    expect(tags()).toEqual(["scheduled-1"]);
    s.answer();
    await time.advance(INTERVAL - 1);
    expect(s.sent).toHaveLength(1);
    await time.advance(1);
    expect(tags()).toEqual(["scheduled-1", "scheduled-2"]);
    s.answer();
    await time.advance(0);
    expect(stats.exports).toBe(2);
    expect(stats.lastSuccessAt).toBe(INTERVAL);
  });

  test("a push that hangs is abandoned after the timeout and never overlaps the next one", async () => {
    const { time, s, pusher, stats } = setup();
    pusher.start();
    await time.advance(0);
    await time.advance(TIMEOUT + 999);
    expect(stats.failures.size).toBe(0);
    await time.advance(1);
    expect(stats.failures.get("timeout")).toBe(1);
    // Only one export was ever started, and the next waits for its interval.
    expect(s.sent).toHaveLength(1);
    await time.advance(INTERVAL - TIMEOUT - 1_000);
    expect(s.sent).toHaveLength(2);
  });

  test("failures: counted by reason; logged when the outage starts and every 10 minutes, whatever the reason; recovery logged once", async () => {
    const { time, s, pusher, stats, lines } = setup();
    /** Answers the push in flight, lets the pusher settle, then moves to the next push. */
    const answerThenNext = async (err?: Error) => {
      s.answer(err);
      await time.advance(0);
      await time.advance(INTERVAL);
    };
    pusher.start();
    await time.advance(0);
    for (let i = 0; i < 9; i++) await answerThenNext(grpcError(14));
    expect(stats.failures.get("unavailable")).toBe(9);
    // Nine failures in eight minutes: one line.
    expect(lines).toEqual(["warn OTLP push failed; retrying every interval unavailable"]);
    // Another reason within the same outage is counted apart but not logged anew.
    await answerThenNext(grpcError(4));
    expect(stats.failures.get("timeout")).toBe(1);
    expect(stats.lastFailure?.reason).toBe("timeout");
    expect(lines).toHaveLength(1);
    await answerThenNext(grpcError(14));
    expect(lines.at(-1)).toBe("warn OTLP push still failing unavailable");
    expect(stats.lastFailure?.reason).toBe("unavailable");
    await answerThenNext();
    expect(stats.lastFailure).toBeUndefined();
    await answerThenNext();
    expect(lines.slice(-1)).toEqual(["info OTLP push recovered"]);
    expect(lines.filter((l) => l.startsWith("info"))).toHaveLength(1);
  });

  test("stop: the timer ends, a final push of the current view goes out, the exporter shuts down", async () => {
    const { time, s, pusher, tags } = setup();
    pusher.start();
    await time.advance(0);
    s.answer();
    await time.advance(0);
    const stopped = pusher.stop();
    await time.advance(0);
    expect(tags()).toEqual(["scheduled-1", "final"]);
    s.answer();
    await stopped;
    expect(s.shutdowns()).toBe(1);
    await time.advance(INTERVAL * 3);
    expect(s.sent).toHaveLength(2);
    expect(time.pending()).toBe(0);
  });

  test("stop with a push hanging: waits 3 s for it, skips the final push, still shuts down", async () => {
    const { time, s, pusher } = setup();
    pusher.start();
    await time.advance(0);
    let done = false;
    const stopped = pusher.stop().then(() => (done = true));
    await time.advance(2_999);
    expect(done).toBe(false);
    await time.advance(1);
    await stopped;
    expect(s.sent).toHaveLength(1);
    expect(s.shutdowns()).toBe(1);
  });

  test("a view that cannot be built is a counted failure, and pushing goes on", async () => {
    const { time, s, stats } = setup();
    const broken = new OtlpPusher({
      intervalMs: INTERVAL,
      timeoutMs: TIMEOUT,
      view: async () => Promise.reject(new Error("boom")),
      current: () => {
        throw new Error("unused");
      },
      build: () => ({}) as ResourceMetrics,
      sender: s.sender,
      stats,
      endpoint: "e",
      log: { debug() {}, info() {}, warn() {}, error() {} },
      now: () => time.now,
      timers: time,
    });
    broken.start();
    await time.advance(0);
    await time.advance(INTERVAL);
    expect(stats.failures.get("error")).toBe(2);
  });
});

test("failureReason maps gRPC statuses and timeouts to the label's fixed set", () => {
  expect([4, 7, 8, 14, 16, 3, 13].map((c) => failureReason(grpcError(c)))).toEqual([
    "timeout",
    "permission_denied",
    "resource_exhausted",
    "unavailable",
    "unauthenticated",
    "rejected",
    "rejected",
  ]);
  expect(failureReason(new Error("Request timed out"))).toBe("timeout");
  expect(failureReason(new Error("socket hang up"))).toBe("error");
  expect(failureReason(undefined)).toBe("error");
});

describe("OtlpPusher on a replica", () => {
  test("while not active (a replica serving its leader's snapshots) nothing is pushed, not even at shutdown; once active it pushes", async () => {
    const time = new FakeTime();
    const s = controlledSender();
    let active = false;
    const view = (): View => ({ snapshot: undefined, stats: newStats(), build: { version: "v", revision: "r", bunVersion: "b" } });
    const log = { debug() {}, info() {}, warn() {}, error() {} };
    const pusher = new OtlpPusher({
      intervalMs: INTERVAL,
      timeoutMs: TIMEOUT,
      view: async () => view(),
      current: view,
      build: () => ({}) as unknown as ResourceMetrics,
      sender: s.sender,
      stats: newOtlpStats(),
      endpoint: "http://collector:4317",
      log,
      now: () => time.now,
      timers: time,
      active: () => active,
    });
    pusher.start();
    await time.advance(3 * INTERVAL);
    expect(s.sent).toHaveLength(0);
    active = true;
    await time.advance(INTERVAL);
    expect(s.sent).toHaveLength(1);
    s.answer();
    await time.advance(0);
    active = false;
    await pusher.stop();
    expect(s.sent).toHaveLength(1);
  });
});
