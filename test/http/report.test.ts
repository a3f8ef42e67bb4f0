import { describe, expect, test } from "bun:test";
import { StoreError } from "../../src/errors.ts";
import { type AppDeps, createApp } from "../../src/http/app.ts";
import { parseReportQuery } from "../../src/http/report-query.ts";
import { silentLogger } from "../../src/log.ts";
import { HistoryBusy, type HistoryStore, QueryCancelled } from "../../src/store/index.ts";
import type { Report, ReportQuery, ReportRow, ReportSource } from "../../src/store/report.ts";

const NOW = 1_800_000_000; // 2027-01-15T08:00:00Z
const DAY = 86_400;

const parse = (qs: string, accept?: string) => parseReportQuery(new URLSearchParams(qs), accept, NOW);

const unused = () => {
  throw new Error("not used by /report");
};

/** An app whose /report reads `report` and whose /history reads `history`; nothing else is served. */
const appWith = (deps: Partial<AppDeps> = {}) =>
  createApp({
    orgName: "lic-test",
    metricsPath: "/metrics",
    view: unused,
    peek: unused,
    current: unused,
    health: unused,
    renderer: {} as AppDeps["renderer"],
    now: () => NOW * 1000,
    log: silentLogger,
    ...deps,
  });

const row = (over: Partial<ReportRow> = {}): ReportRow => ({
  scope: "virtual_group",
  virtual_group_id: "vg1",
  virtual_group_name: "VG one",
  feature_name: "vPC",
  seats: 200,
  in_use: 150,
  overage_seats: null,
  peak_in_use: 199,
  peak_at: "2027-01-10T09:30:00Z",
  p95_in_use: 180.25,
  avg_in_use: 120.5,
  utilisation_peak: 0.995,
  time_at_capacity_seconds: 0,
  expires_at: "2027-02-01T00:00:00Z",
  days_to_expiry: 16,
  recommended_seats: 219,
  forecast: { trend_per_day: -0.5, capacity_reached_at: null },
  ...over,
});

const REPORT: Report = {
  org_name: "lic-test",
  from: "2026-12-16T08:00:00Z",
  to: "2027-01-15T08:00:00Z",
  generated_at: "2027-01-15T08:00:00Z",
  features: [
    row(),
    row({
      scope: "org",
      virtual_group_id: null,
      virtual_group_name: null,
      seats: 0,
      utilisation_peak: null,
      expires_at: null,
      days_to_expiry: null,
      overage_seats: 5,
      forecast: { trend_per_day: 1.25, capacity_reached_at: "2027-03-01T00:00:00Z" },
    }),
  ],
};

/** A source answering REPORT and keeping what it was asked. */
function recording() {
  const asked: { q: ReportQuery; signal: AbortSignal | undefined }[] = [];
  const source: ReportSource = async (q, signal) => {
    asked.push({ q, signal });
    return REPORT;
  };
  return { asked, source };
}

describe("parseReportQuery", () => {
  test("defaults: the 30 days up to now, no filter, JSON", () => {
    expect(parse("")).toEqual({ from: NOW - 30 * DAY, to: NOW, filter: {}, format: "json" });
    expect(parse("to=-1d")).toMatchObject({ from: NOW - 31 * DAY, to: NOW - DAY });
  });

  test.each([
    ["from=2027-01-15T06:00:00Z&to=2027-01-15T09:00:00%2B01:00", NOW - 7200, NOW],
    ["from=1799990000&to=1799999999.9", 1_799_990_000, 1_799_999_999],
    ["from=-365d&to=now", NOW - 365 * DAY, NOW],
    ["from=now-1h30m", NOW - 5_400, NOW],
  ])("times as /history takes them: %s", (qs, from, to) => {
    expect(parse(qs)).toMatchObject({ from, to });
  });

  test("filters and CSV by format or by Accept", () => {
    expect(parse("virtual_group_id=vg1&feature_name=vPC&scope=virtual_group")).toMatchObject({
      filter: { virtual_group_id: "vg1", feature_name: "vPC", scope: "virtual_group" },
    });
    expect(parse("scope=org&feature_name=vPC")).toMatchObject({ filter: { scope: "org", feature_name: "vPC" } });
    expect(parse("", "text/csv")).toMatchObject({ format: "csv" });
    expect(parse("", "application/json, text/csv;q=0.5")).toMatchObject({ format: "csv" });
    expect(parse("format=json", "text/csv")).toMatchObject({ format: "json" });
    expect(parse("format=csv")).toMatchObject({ format: "csv" });
  });

  test.each([
    ["from=yesterday", "from"],
    ["to=2027-13-45T00:00:00Z", "to"],
    ["from=now&to=-1h", "from"],
    ["from=-1h&to=-1h", "from"],
    ["from=-3700d", "from"],
    ["from=0", "from"],
    ["to=999999999999", "to"],
    ["from=-1h&from=-2h", "from"],
    ["scope=org&scope=org", "scope"],
    ["step=1h", "step"],
    ["kind=active_leases", "kind"],
    ["server_id=s1", "server_id"],
    ["scope=server", "scope"],
    ["scope=", "scope"],
    ["format=xml", "format"],
    ["feature_name=", "feature_name"],
    [`feature_name=${"x".repeat(257)}`, "feature_name"],
    ["virtual_group_id=", "virtual_group_id"],
    ["virtual_group_id=vg1&scope=org", "virtual_group_id"],
  ])("400 for %s names %s", (qs, parameter) => {
    const q = parse(qs);
    expect(q).toMatchObject({ parameter });
    expect("message" in q && q.message.length).toBeGreaterThan(5);
  });

  test("virtual_group_id with scope=org says why and what to do instead", () => {
    expect(parse("scope=org&virtual_group_id=vg1")).toMatchObject({ message: expect.stringContaining("scope=virtual_group") });
  });
});

describe("GET /report", () => {
  test("JSON: the source's report as it is, for the last 30 days up to the injected now", async () => {
    const { asked, source } = recording();
    const res = await appWith({ report: source }).request("/report");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(await res.json()).toEqual(REPORT);
    expect(asked).toHaveLength(1);
    expect(asked[0]!.q).toEqual({ from: NOW - 30 * DAY, to: NOW, filter: {} });
    expect(asked[0]!.signal).toBeInstanceOf(AbortSignal);
  });

  test("the range and the filters reach the source, without the format", async () => {
    const { asked, source } = recording();
    const app = appWith({ report: source });
    await app.request("/report?from=-7d&to=-1d&virtual_group_id=vg%201&feature_name=NVIDIA%20Virtual%20PC&format=csv");
    await app.request("/report?scope=org&feature_name=vPC");
    expect(asked.map((a) => a.q)).toEqual([
      { from: NOW - 7 * DAY, to: NOW - DAY, filter: { virtual_group_id: "vg 1", feature_name: "NVIDIA Virtual PC" } },
      { from: NOW - 30 * DAY, to: NOW, filter: { scope: "org", feature_name: "vPC" } },
    ]);
  });

  test("a bad query is a 400 naming the parameter, before the source is asked", async () => {
    const { asked, source } = recording();
    const app = appWith({ report: source });
    const res = await app.request("/report?virtual_group_id=vg1&scope=org");
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ parameter: "virtual_group_id", error: expect.stringContaining("virtual_group_id: ") });
    for (const qs of ["from=%ZZ", "to=NaN", "from=-99999999h", "%00=1", "from=2027-01-15T07:00:00", "to=--1h", "scope=ORG"])
      expect((await app.request(`/report?${qs}`)).status).toBe(400);
    expect(asked).toEqual([]);
  });

  test("CSV: one header line of the row's fields, the forecast flattened, null as an empty cell", async () => {
    const app = appWith({ report: recording().source });
    for (const res of [await app.request("/report?format=csv"), await app.request("/report", { headers: { accept: "text/csv" } })]) {
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
      expect(res.headers.get("content-disposition")).toBe('attachment; filename="report.csv"');
      expect((await res.text()).split("\n")).toEqual([
        "scope,virtual_group_id,virtual_group_name,feature_name,seats,in_use,overage_seats,peak_in_use,peak_at,p95_in_use,avg_in_use,utilisation_peak,time_at_capacity_seconds,expires_at,days_to_expiry,recommended_seats,forecast_trend_per_day,forecast_capacity_reached_at",
        "virtual_group,vg1,VG one,vPC,200,150,,199,2027-01-10T09:30:00Z,180.25,120.5,0.995,0,2027-02-01T00:00:00Z,16,219,-0.5,",
        "org,,,vPC,0,150,5,199,2027-01-10T09:30:00Z,180.25,120.5,,0,,,219,1.25,2027-03-01T00:00:00Z",
        "",
      ]);
    }
    const json = await app.request("/report?format=json", { headers: { accept: "text/csv" } });
    expect(json.headers.get("content-type")).toBe("application/json");
  });

  test("CSV: names a spreadsheet would run as formulas start with an apostrophe; negative numbers stay numbers", async () => {
    const features = [
      row({ virtual_group_id: "@vg", virtual_group_name: '=HYPERLINK("http://x","y")', feature_name: "+vPC" }),
      row({ virtual_group_name: "-1+2", feature_name: "\tvWS", forecast: { trend_per_day: -3, capacity_reached_at: null } }),
    ];
    const source: ReportSource = async () => ({ ...REPORT, features });
    const lines = (await (await appWith({ report: source }).request("/report?format=csv")).text()).split("\n");
    expect(lines[1]).toStartWith(`virtual_group,'@vg,"'=HYPERLINK(""http://x"",""y"")",'+vPC,`);
    expect(lines[2]).toStartWith("virtual_group,vg1,'-1+2,'\tvWS,200,");
    expect(lines[2]).toEndWith(",-3,");
  });

  test("without a source: 503 as /history without a store", async () => {
    const app = appWith();
    const res = await app.request("/report");
    expect(res.status).toBe(503);
    const body = await res.json();
    expect(body).toEqual({ error: "history is unavailable", reason: "error", detail: "history is not enabled" });
    const history = await app.request("/history");
    expect(history.status).toBe(503);
    expect(await history.json()).toEqual(body);
  });

  test.each([
    ["HistoryBusy", () => new HistoryBusy("light")],
    ["StoreError", () => new StoreError("corrupt", "the history file is damaged")],
    ["an unforeseen error", () => new Error("boom")],
  ])("a source that throws %s answers as /history's store does", async (_, error) => {
    const app = appWith({
      report: () => Promise.reject(error()),
      history: { query: () => Promise.reject(error()) } as unknown as HistoryStore,
    });
    const report = await app.request("/report");
    const history = await app.request("/history");
    expect(report.status).toBe(history.status);
    expect(report.headers.get("retry-after")).toBe(history.headers.get("retry-after"));
    expect(await report.text()).toBe(await history.text());
    expect(report.status).toBeGreaterThanOrEqual(500);
  });

  test("HistoryBusy is a 503 with Retry-After", async () => {
    const res = await appWith({ report: () => Promise.reject(new HistoryBusy("heavy")) }).request("/report");
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(await res.json()).toMatchObject({ error: "history is busy", reason: "busy" });
  });

  /** A source that answers only by being cancelled, as the store does. */
  const cancellable: ReportSource = (_, signal) =>
    new Promise((_, reject) => signal?.addEventListener("abort", () => reject(new QueryCancelled(signal.reason)), { once: true }));

  test("the client's going away cancels the source: 499", async () => {
    const client = new AbortController();
    const pending = appWith({ report: cancellable }).request(new Request("http://x/report", { signal: client.signal }));
    await new Promise((r) => setImmediate(r));
    client.abort();
    expect((await pending).status).toBe(499);
  });

  test("past the answer's bound the source is cancelled: 503 with Retry-After", async () => {
    const res = await appWith({ report: cancellable, historyTimeoutMs: 20 }).request("/report");
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("30");
  });
});
