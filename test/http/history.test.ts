import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../src/config/index.ts";
import { createExporter } from "../../src/context.ts";
import type { HistoryResponse } from "../../src/http/history.ts";
import { parseHistoryQuery } from "../../src/http/history-query.ts";
import { silentLogger } from "../../src/log.ts";
import { HistoryStore } from "../../src/store/store.ts";
import { ORG, recordBusyOrg, snapshotAt, tempDir } from "../store/helpers.ts";

const NOW = 1_800_000_000;
const tmp = tempDir("cls-history-http-");
afterAll(tmp.cleanup);

/** A store on a file of the temporary folder, at NOW. */
const openStore = (file: string) =>
  new HistoryStore({
    path: join(tmp.dir, file),
    orgName: ORG,
    maxGapS: 130,
    rawRetentionS: 8 * 86_400,
    retentionS: 400 * 86_400,
    now: () => NOW * 1000,
    log: silentLogger,
  });

/** An exporter (CLS offline) whose /history reads `history`. */
const appOn = (history: HistoryStore) =>
  createExporter(
    loadConfig({
      env: { NVIDIA_API_KEY: "k", NVIDIA_ORG_NAME: ORG, NVIDIA_API_BASE_URL: "http://127.0.0.1:9" },
      argv: [],
      readFile: () => "",
    }),
    {
      fetch: () => Promise.reject(new Error("offline")),
      now: () => NOW * 1000,
      log: silentLogger,
      build: { version: "t", revision: "t", bunVersion: "t" },
      history,
    },
  ).app;

const parse = (qs: string, accept?: string) => parseHistoryQuery(new URLSearchParams(qs), accept, NOW);

describe("parseHistoryQuery", () => {
  test("defaults: the last 24 h of active leases as JSON, about 500 points at most, a step the store may grow", () => {
    expect(parse("")).toEqual({ kind: "active_leases", filter: {}, from: NOW - 86_400, to: NOW, step: 300, fitStep: true, format: "json" });
    expect(parse("step=5m")).not.toHaveProperty("fitStep");
  });

  test.each([
    ["from=2027-01-15T06:00:00Z&to=2027-01-15T09:00:00%2B01:00", NOW - 7200, NOW],
    ["from=1799990000&to=1799999999.9", 1_799_990_000, 1_799_999_999],
    ["from=-7d&to=now", NOW - 7 * 86_400, NOW],
    ["from=now-1h30m", NOW - 5_400, NOW],
    ["from=2027-01-15T08:00:00 01:00", NOW - 3600, NOW],
    ["from=2027-01-15t06:00:00z", NOW - 7200, NOW],
  ])("times: %s", (qs, from, to) => {
    expect(parse(qs)).toMatchObject({ from, to });
  });

  test("step as a duration or in seconds; CSV by format or by Accept", () => {
    expect(parse("step=1h")).toMatchObject({ step: 3600 });
    expect(parse("step=90")).toMatchObject({ step: 90 });
    expect(parse("", "text/csv")).toMatchObject({ format: "csv" });
    expect(parse("format=json", "text/csv")).toMatchObject({ format: "json" });
    expect(parse("from=-400d")).toMatchObject({ step: 86_400 });
  });

  test.each([
    ["from=yesterday", "from"],
    ["to=2027-13-45T00:00:00Z", "to"],
    ["from=now&to=-1h", "from"],
    ["from=-1h&to=-1h", "from"],
    ["step=0", "step"],
    ["step=-5s", "step"],
    ["step=500ms", "step"],
    ["step=fast", "step"],
    [`step=${"9".repeat(400)}`, "step"],
    ["step=99999999999999999999w", "step"],
    ["from=-30d&step=60", "step"],
    ["kind=licenses", "kind"],
    ["format=xml", "format"],
    ["feature=vPC", "feature"],
    ["from=-1h&from=-2h", "from"],
    ["from=0", "from"],
    ["to=999999999999", "to"],
    ["kind=entitlement_in_use&server_id=abc", "server_id"],
    ["feature_name=", "feature_name"],
    [`server_id=${"x".repeat(300)}`, "server_id"],
  ])("400 for %s names %s", (qs, parameter) => {
    const q = parse(qs);
    expect(q).toMatchObject({ parameter });
    expect("message" in q && q.message.length).toBeGreaterThan(5);
  });
});

describe("GET /history", () => {
  let store: HistoryStore;
  let app: ReturnType<typeof createExporter>["app"];

  beforeAll(() => {
    store = openStore("h.db");
    for (let i = 0; i < 60; i++) store.record(snapshotAt(NOW - 3600 + i * 60, { "s1/vpc": i < 30 ? 2 : 5, "s2/vpc": 1, "s2/vws": 0 }));
    app = appOn(store);
  });
  afterAll(() => store.close());

  test("JSON: org, range, step and one series per server feature with capacity and points", async () => {
    const res = await app.request("/history?from=-1h&to=now&step=30m");
    expect(res.status).toBe(200);
    const body = (await res.json()) as HistoryResponse;
    expect(body).toMatchObject({ org_name: ORG, from: "2027-01-15T07:00:00Z", to: "2027-01-15T08:00:00Z", step_seconds: 1800 });
    expect(body.series).toHaveLength(3);
    const s1 = body.series.find((s) => s.labels.server_id === "s1");
    expect(s1).toEqual({
      kind: "active_leases",
      labels: {
        virtual_group_id: "vg1",
        virtual_group_name: "VG one",
        server_id: "s1",
        server_name: "name-s1",
        feature_name: "vpc",
        product_name: "vPC",
        license_type: "CONCURRENT",
      },
      capacity: 10,
      points: [
        { t: "2027-01-15T07:00:00Z", min: 2, max: 2, avg: 2, last: 2 },
        { t: "2027-01-15T07:30:00Z", min: 5, max: 5, avg: 5, last: 5 },
      ],
    });
  });

  test("filters by server and feature", async () => {
    const body = (await (await app.request("/history?from=-1h&server_id=s2&feature_name=vws")).json()) as HistoryResponse;
    expect(body.series.map((s) => s.labels.feature_name)).toEqual(["vws"]);
    expect(((await (await app.request("/history?from=-1h&kind=pool_in_use")).json()) as HistoryResponse).series).toEqual([]);
  });

  test("CSV: a header and one row per point, by format=csv or Accept: text/csv", async () => {
    for (const res of [
      await app.request("/history?from=-1h&step=1h&server_id=s1&format=csv"),
      await app.request("/history?from=-1h&step=1h&server_id=s1", { headers: { accept: "text/csv" } }),
    ]) {
      expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
      // avg is time-weighted: 2 for 1800 s, then 5 for 1740 s up to the last refresh.
      expect((await res.text()).trim().split("\n")).toEqual([
        "kind,virtual_group_id,virtual_group_name,server_id,server_name,feature_name,product_name,license_type,capacity,t,min,max,avg,last",
        "active_leases,vg1,VG one,s1,name-s1,vpc,vPC,CONCURRENT,10,2027-01-15T07:00:00Z,2,5,3.4746,5",
      ]);
    }
  });

  test("a bad query is a 400 naming the parameter, never a 500", async () => {
    const res = await app.request("/history?step=0");
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'step: must be at least 1s, got "0"', parameter: "step" });
    const junk = [
      "from=%ZZ",
      "to=NaN",
      "step=1e9",
      "kind=",
      "from=-99999999h",
      "step=1.5.5",
      "%00=1",
      "from=2027-01-15T07:00:00",
      "to=--1h",
    ];
    for (const qs of junk) expect([200, 400]).toContain((await app.request(`/history?${qs}`)).status);
  });

  test("an answer too large is a 400 on step, before anything is read", async () => {
    const res = await app.request("/history?from=-90d&step=1");
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ parameter: "step" });
  });

  test("503 with the reason when the store cannot answer", async () => {
    const bad = join(tmp.dir, "bad.db");
    writeFileSync(bad, "garbage ".repeat(1000));
    const broken = openStore("bad.db");
    const res = await appOn(broken).request("/history");
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: "history is unavailable", reason: "corrupt" });
    broken.close();
  });
});

describe("GET /history on an org of 1,000 series", () => {
  let store: HistoryStore;
  let app: ReturnType<typeof createExporter>["app"];
  const outcomes = () => Object.fromEntries(store.stats.queries) as Record<string, number>;

  beforeAll(() => {
    store = openStore("busy.db");
    recordBusyOrg(store, 1_000, 60, NOW);
    app = appOn(store);
  });
  afterAll(() => store.close());

  test("the default query answers 200 with the step grown to fit, named in JSON and in the header of each format", async () => {
    const res = await app.request("/history");
    expect(res.status).toBe(200);
    expect(res.headers.get("history-step-seconds")).toBe("600");
    const body = (await res.json()) as HistoryResponse;
    expect(body.step_seconds).toBe(600);
    expect(body.series).toHaveLength(1_000);
    const csv = await app.request("/history?format=csv");
    expect(csv.status).toBe(200);
    expect(csv.headers.get("history-step-seconds")).toBe("600");
  });

  test("an explicit step that cannot fit stays a 400 on step", async () => {
    const res = await app.request("/history?step=5m");
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ parameter: "step" });
  });

  test("a full lane answers 503 with Retry-After; queries whose client left end as 499 without reading", async () => {
    const clients = Array.from({ length: 9 }, () => new AbortController());
    const waiting = clients.map((c) => app.request(new Request("http://x/history", { signal: c.signal })));
    await new Promise((r) => setImmediate(r));
    const refused = await app.request("/history");
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(await refused.json()).toMatchObject({ error: "history is busy", reason: "busy" });
    const cancelled = outcomes().cancelled ?? 0;
    for (const c of clients) c.abort();
    const statuses = (await Promise.all(waiting)).map((r) => r.status);
    expect(statuses.filter((s) => s === 499).length).toBeGreaterThanOrEqual(8);
    expect((outcomes().cancelled ?? 0) - cancelled).toBe(statuses.filter((s) => s === 499).length);
  });

  test("over a real connection, a client that disconnects stops its query (Bun aborts the request's signal)", async () => {
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: app.fetch, development: false });
    try {
      const before: Record<string, number> = { ...outcomes(), read: store.stats.seriesRead };
      const clients = Array.from({ length: 5 }, () => new AbortController());
      const sent = clients.map((c) => fetch(`http://127.0.0.1:${server.port}/history`, { signal: c.signal }).catch(() => undefined));
      for (let i = 0; i < 500 && store.stats.seriesRead === before.read!; i++) await Bun.sleep(5);
      await Bun.sleep(50);
      for (const c of clients) c.abort();
      await Promise.all(sent);
      const ended = () => (outcomes().cancelled ?? 0) - (before.cancelled ?? 0) + (outcomes().answered ?? 0) - (before.answered ?? 0);
      for (let i = 0; i < 500 && ended() < 5; i++) await Bun.sleep(10);
      expect(ended()).toBe(5);
      expect((outcomes().cancelled ?? 0) - (before.cancelled ?? 0)).toBeGreaterThanOrEqual(1);
      // Five answers read 5,000 series; the cancelled ones stopped at their next series.
      expect(store.stats.seriesRead - before.read!).toBeLessThan(5_000);
    } finally {
      server.stop(true);
    }
  });
});
