import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { silentLogger } from "../../src/log.ts";
import { stepFor } from "../../src/store/answer.ts";
import { LIGHT_POINTS, QUERIES_WAITING_PER_LANE, QueryLane } from "../../src/store/queries.ts";
import { HistoryBusy, type HistoryQuery, MAX_POINTS, QueryCancelled, TooManyPoints } from "../../src/store/query.ts";
import { HistoryStore, type StoreOptions } from "../../src/store/store.ts";
import { ORG, recordBusyOrg, tempDir } from "./helpers.ts";

const NOW = 1_800_000_000;
const DAY = 86_400;
const tmp = tempDir("cls-queries-");
afterAll(tmp.cleanup);

const day = (over: Partial<HistoryQuery> = {}): HistoryQuery => ({
  kind: "active_leases",
  filter: {},
  from: NOW - DAY,
  to: NOW,
  step: 300,
  ...over,
});

describe("stepFor", () => {
  test("a chosen step grows to the next round step until the answer fits; a given one is refused", () => {
    expect(stepFor(day({ fitStep: true }), 800, undefined)).toEqual({ step: 300, points: 800 * 289 });
    // 1,000 series × 289 buckets of 5 min exceed 250,000 points; 10 min give 145.
    expect(stepFor(day({ fitStep: true }), 1_000, undefined)).toEqual({ step: 600, points: 1_000 * 145 });
    // 20,000 series leave 12 buckets (13 with the one `from` may cut): 2 h give 13, 3 h give 9.
    expect(stepFor(day({ fitStep: true }), 20_000, undefined).step).toBe(10_800);
    expect(() => stepFor(day(), 1_000, undefined)).toThrow(TooManyPoints);
  });

  test("whatever the series count, the grown step keeps the answer within MAX_POINTS, in whole hours over rolled-up data", () => {
    for (const series of [1, 499, 866, 867, 5_000, 60_000, 124_999]) {
      for (const from of [NOW - DAY, NOW - 30 * DAY, NOW - 3_000 * DAY]) {
        const { step, points } = stepFor(day({ from, fitStep: true }), series, NOW - 8 * DAY);
        expect(points).toBeLessThanOrEqual(MAX_POINTS);
        if (from < NOW - 8 * DAY) expect(step % 3_600).toBe(0);
      }
    }
    expect(() => stepFor(day({ fitStep: true }), 125_001, undefined)).toThrow(TooManyPoints);
  });
});

describe("QueryLane", () => {
  test("one runs, the next wait in order, one more is refused; an abort while waiting leaves without running", async () => {
    const lane = new QueryLane("heavy", 2);
    const ran: string[] = [];
    let release = () => {};
    const first = lane.run(() => new Promise<void>((r) => (release = r)).then(() => ran.push("a")));
    const left = new AbortController();
    const second = lane.run(async () => ran.push("b"), left.signal);
    const third = lane.run(async () => ran.push("c"));
    expect(lane.run(async () => ran.push("d"))).rejects.toBeInstanceOf(HistoryBusy);
    left.abort();
    expect(second).rejects.toBeInstanceOf(QueryCancelled);
    expect(lane.queued).toBe(1);
    release();
    await Promise.all([first, third]);
    expect(ran).toEqual(["a", "c"]);
  });
});

describe("HistoryStore queries on an org of 1,000 series", () => {
  let store: HistoryStore;
  const heavy = () => day({ fitStep: true });
  const small = () => day({ filter: { server_id: "s1" } });

  /** A store on the file of this org of 1,000 series. */
  const openBusy = (more: Partial<StoreOptions> = {}) =>
    new HistoryStore({
      path: join(tmp.dir, "busy.db"),
      orgName: ORG,
      maxGapS: 130,
      rawRetentionS: 8 * DAY,
      retentionS: 400 * DAY,
      now: () => NOW * 1000,
      log: silentLogger,
      ...more,
    });

  beforeAll(() => {
    store = openBusy();
    recordBusyOrg(store, 1_000, 60, NOW);
  });
  afterAll(() => store.close());

  test("the default day answers with the grown step rather than refusing", async () => {
    const answer = await store.query(heavy());
    expect(answer.step).toBe(600);
    expect(answer.series).toHaveLength(1_000);
    expect(1_000 * 145).toBeGreaterThan(LIGHT_POINTS);
  });

  test("20 abandoned heavy queries stop at once: a small query runs, and they read less than one heavy query's series", async () => {
    const before = { ...Object.fromEntries(store.stats.queries), read: store.stats.seriesRead };
    const count = (o: string) => (store.stats.queries.get(o as never) ?? 0) - ((before as Record<string, number>)[o] ?? 0);
    const clients = Array.from({ length: 20 }, () => new AbortController());
    const abandoned = clients.map((c) => store.query(heavy(), c.signal).catch((e: unknown) => e));
    // The first is reading its first slice, eight wait, the rest were refused.
    await new Promise((r) => setImmediate(r));
    for (const c of clients) c.abort();
    const answer = await store.query(small());
    expect(answer.series).toHaveLength(1);
    const outcomes = await Promise.all(abandoned);
    expect(count("busy")).toBe(20 - 1 - QUERIES_WAITING_PER_LANE);
    expect(outcomes.filter((e) => e instanceof HistoryBusy)).toHaveLength(count("busy"));
    // The running one may have finished within its slice; every waiting one was cancelled unread.
    expect(count("cancelled") + count("answered")).toBe(1 + QUERIES_WAITING_PER_LANE + 1);
    expect(count("cancelled")).toBeGreaterThanOrEqual(QUERIES_WAITING_PER_LANE);
    expect(store.stats.seriesRead - before.read - 1).toBeLessThanOrEqual(1_000);
  });

  test("a small query is not held up behind heavy ones: it is answered while they are still waiting", async () => {
    const heavyDone: number[] = [];
    const running = Array.from({ length: 1 + QUERIES_WAITING_PER_LANE }, (_, i) => store.query(heavy()).then(() => heavyDone.push(i)));
    const answer = await store.query(small());
    expect(answer.series).toHaveLength(1);
    expect(heavyDone.length).toBeLessThan(running.length);
    await Promise.all(running);
    expect(heavyDone).toEqual([...running.keys()]);
  });

  test("HISTORY_MAX_WAITING bounds each lane; refusals are logged at most once a minute, with their count", async () => {
    const lines: { msg: string; fields?: Record<string, unknown> }[] = [];
    const log = { ...silentLogger, warn: (msg: string, fields?: Record<string, unknown>) => lines.push({ msg, fields }) };
    const small2 = openBusy({ log, maxWaiting: 2 });
    const sent = Array.from({ length: 6 }, () => small2.query(heavy()).catch((e: unknown) => e));
    const outcomes = await Promise.all(sent);
    small2.close();
    expect(outcomes.filter((e) => e instanceof HistoryBusy)).toHaveLength(3);
    const busy = lines.filter((l) => l.msg.includes("HISTORY_MAX_WAITING"));
    expect(busy).toHaveLength(1);
    expect(busy[0]!.fields).toMatchObject({ max_waiting: 2, refused: 1 });
  });

  test("an aborted signal reads nothing; an explicit step too small for the org is TooManyPoints", async () => {
    const read = store.stats.seriesRead;
    expect(store.query(heavy(), AbortSignal.abort())).rejects.toBeInstanceOf(QueryCancelled);
    expect(store.query(day())).rejects.toBeInstanceOf(TooManyPoints);
    expect(store.stats.seriesRead).toBe(read);
  });
});
