import { describe, expect, test } from "bun:test";
import type { Health } from "../../src/health.ts";
import type { View } from "../../src/render/catalog.ts";
import { renderPage } from "../../src/render/page.tsx";
import { bandOf, demandSections, durationWords, entitlementLines, expiryOf, fillStep } from "../../src/render/page-model.ts";
import { PAGE_REPORT_TIMEOUT_MS, pageReport } from "../../src/render/page-report.ts";
import type { EntitlementRow, Snapshot } from "../../src/snapshot/types.ts";
import type { Report, ReportRow } from "../../src/store/report.ts";
import { FakeTime } from "../fake-time.ts";
import { emptySnapshot, keyRow } from "../snapshot/fixture.ts";

const DAY = 86_400;
const NOW = Date.UTC(2026, 5, 1) / 1000;
const XSS = "<img src=x onerror=alert(1)>";

/** A key of 10 seats in group `group` ("group <id>"). */
const key = (group: string, id: string, feature: string, over: Partial<EntitlementRow> = {}): EntitlementRow =>
  keyRow({ virtual_group_id: group, virtual_group_name: `group ${group}` }, id, feature, { total: 10, ...over });

function serverFeature(group: string, groupName: string, feature: string, active: number) {
  const labels = { virtual_group_id: group, virtual_group_name: groupName, server_id: "s", server_name: "s", feature_name: feature };
  return { labels: { ...labels, product_name: feature, license_type: "C" }, total: 10, active };
}

const snap = (over: Partial<Snapshot>) => emptySnapshot({ collectedAt: NOW * 1000, ...over });

describe("utilisation bands", () => {
  test.each([
    [0, 10, "low"],
    [6, 10, "low"],
    [7, 10, "mid"],
    [8, 10, "mid"],
    [9, 10, "high"],
    [10, 10, "high"],
    [11, 10, "over"],
    [0, 0, "low"],
    [1, 0, "over"],
    [undefined, 10, "unknown"],
    [3, undefined, "unknown"],
  ] as const)("%p in use of %p seats: %s", (inUse, seats, band) => {
    expect(bandOf(inUse, seats)).toBe(band);
  });

  test("the bar fills in steps of 5 %, full beyond the seats bought", () => {
    expect([fillStep(0, 10), fillStep(1, 3), fillStep(9, 10), fillStep(15, 10), fillStep(2, 0), fillStep(undefined, 4)]).toEqual([
      0, 35, 90, 100, 100, 0,
    ]);
  });
});

describe("expiry levels", () => {
  test.each([
    [undefined, "none", null],
    [NOW - 1, "ended", -1],
    [NOW, "ended", 0],
    [NOW + 3 * DAY, "week", 3],
    [NOW + 7 * DAY - 1, "week", 6],
    [NOW + 7 * DAY, "month", 7],
    [NOW + 30 * DAY - 1, "month", 29],
    [NOW + 30 * DAY, "later", 30],
  ] as const)("end %p: %s, %p days left", (end, level, days) => {
    expect(expiryOf(end, NOW)).toEqual({ level, days });
  });

  test("entitlements sorted by end date, those without one last", () => {
    const s = snap({
      entitlements: [
        key("1", "none", "A"),
        key("1", "late", "B", { end: NOW + 90 * DAY }),
        key("2", "week", "C", { end: NOW + 2 * DAY }),
        key("2", "month", "D", { end: NOW + 20 * DAY }),
      ],
    });
    expect(entitlementLines(s, NOW).map((e) => `${e.productKey} ${e.level}`)).toEqual([
      "week week",
      "month month",
      "late later",
      "none none",
    ]);
  });
});

const reportRow = (over: Partial<ReportRow>): ReportRow => ({
  scope: "org",
  virtual_group_id: null,
  virtual_group_name: null,
  feature_name: "A",
  seats: 10,
  in_use: 5,
  overage_seats: null,
  peak_in_use: 10,
  peak_at: "2026-05-20T08:15:00Z",
  p95_in_use: 9,
  avg_in_use: 5,
  utilisation_peak: 1,
  time_at_capacity_seconds: 3 * 3600 + 20 * 60,
  expires_at: null,
  days_to_expiry: null,
  recommended_seats: 11,
  forecast: { trend_per_day: null, capacity_reached_at: null },
  ...over,
});

const reportOf = (features: ReportRow[]): Report => ({ org_name: "o", from: "", to: "", generated_at: "", features });

describe("demand sections", () => {
  const s = snap({
    entitlements: [key("1", "k1", "A"), key("2", "k2", "A")],
    serverFeatures: [serverFeature("1", "one", "A", 9), serverFeature("2", "two", "A", 4)],
  });

  test("per group and across the org, each with its report row", () => {
    const report = reportOf([
      reportRow({}),
      reportRow({ scope: "virtual_group", virtual_group_id: "2", virtual_group_name: "two", peak_in_use: 7 }),
    ]);
    const d = demandSections(s, { report });
    expect(d.org.map((l) => [l.row.inUse, l.row.seats, l.band, l.fill])).toEqual([[13, 20, "low", 65]]);
    expect(d.groups.map((g) => [g.id, g.lines.map((l) => l.band)])).toEqual([
      ["1", ["high"]],
      ["2", ["low"]],
    ]);
    expect(d.org[0]!.insight).toEqual({ row: report.features[0]! });
    expect(d.groups[1]!.lines[0]!.insight).toEqual({ row: report.features[1]! });
    expect(d.groups[0]!.lines[0]!.insight).toEqual({ missing: "no history for it yet" });
  });

  test("without a report every row says why", () => {
    const d = demandSections(s, { missing: "history off" });
    expect([...d.org, ...d.groups.flatMap((g) => g.lines)].map((l) => l.insight)).toEqual([
      { missing: "history off" },
      { missing: "history off" },
      { missing: "history off" },
    ]);
  });

  test("time at capacity in words", () => {
    expect([durationWords(0), durationWords(59), durationWords(12_000), durationWords(2 * DAY + 3600)]).toEqual([
      "0 min",
      "0 min",
      "3 h 20 min",
      "2 d 1 h 0 min",
    ]);
  });
});

describe("the page's report", () => {
  const live = new AbortController().signal;

  test("absent: history off; failing: the reason; the asked range is the last 30 days", async () => {
    expect(await pageReport(undefined, NOW * 1000, live)).toEqual({ missing: "history off" });
    expect(await pageReport(() => Promise.reject(new Error("database is locked")), NOW * 1000, live)).toEqual({
      missing: "history unavailable: database is locked",
    });
    let asked: unknown;
    const report = reportOf([]);
    const got = await pageReport(
      async (q) => {
        asked = q;
        return report;
      },
      NOW * 1000,
      live,
    );
    expect(got).toEqual({ report });
    expect(asked).toEqual({ from: NOW - 30 * DAY, to: NOW, filter: {} });
  });

  test("a report that does not answer in time: the page goes on without it and the query is stopped", async () => {
    const time = new FakeTime();
    let signal: AbortSignal | undefined;
    const pending = pageReport(
      (_q, s) => {
        signal = s;
        return new Promise(() => {});
      },
      NOW * 1000,
      live,
      time,
    );
    await time.advance(PAGE_REPORT_TIMEOUT_MS);
    expect(await pending).toEqual({ missing: "history unavailable: no answer within 5 s" });
    expect(signal?.aborted).toBe(true);
    expect(time.pending()).toBe(0);
  });
});

describe("the page's markup", () => {
  const health = {
    status: "ok",
    cls_up: true,
    data_age_seconds: 1,
    cls: { state: "up", collected_at: "", last_success_at: "", failures: [], invalid_items: {} },
    history: { enabled: true, up: true, reason: null, hint: null, last_write_at: null },
    otlp: { enabled: false },
  } as Health;
  const view = (s: Snapshot) => ({ snapshot: s, build: { version: "1", revision: "r", bunVersion: "b" } }) as unknown as View;

  test("names from CLS are text, the banner shows, expiry is said in words, a chart frame per feature", () => {
    const s = snap({
      entitlements: [key("1", XSS, XSS, { end: NOW + 2 * DAY })],
      serverFeatures: [serverFeature("1", XSS, XSS, 3)],
    });
    const html = renderPage(view(s), health, {
      orgName: XSS,
      metricsPath: "/metrics",
      report: { missing: "history off" },
      now: NOW * 1000,
      banner: "simulated <b>history</b>",
    });
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(html).toContain('<p class="banner" role="note">simulated &lt;b&gt;history&lt;/b&gt;</p>');
    expect(html).toContain('<tr class="expiry expiry-week">');
    expect(html).toContain("ends within 7 days");
    expect(html.match(/<figure class="chart"/g)?.length).toBe(1);
    expect(html).toContain('data-feature="&lt;img src=x onerror=alert(1)&gt;"');
  });

  test("with history off there are no chart frames, and no banner unless set", () => {
    const s = snap({ entitlements: [key("1", "k", "A")], serverFeatures: [serverFeature("1", "one", "A", 3)] });
    const off = { ...health, history: { enabled: false } } as Health;
    const html = renderPage(view(s), off, { orgName: "o", metricsPath: "/m", report: { missing: "history off" }, now: NOW * 1000 });
    expect(html).not.toContain('<figure class="chart"');
    expect(html).toContain("history off: no charts");
    expect(html).not.toContain('class="banner"');
  });
});
