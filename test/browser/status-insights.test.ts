/**
 * The status page's insights in real Chromium, against the simulator: seats in use and bought as
 * /metrics says them, the charts drawn with uPlot under the CSP (a range button asks again, an empty
 * or failed answer is said), the expiry highlight, a phone's width, dark mode, and names with markup.
 * The charts' /history answers are given by the test (page.route), so what is drawn is known.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { loadScenario } from "../../src/sim/fixtures.ts";
import type { SimModel } from "../../src/sim/model.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import { type Exporter, Harness } from "../integration/harness.ts";
import { BROWSER_API_KEY, BROWSER_TIMEOUT_MS, BrowserHarness, envFor, type OpenOptions, type Visit, XSS_NAME } from "./browser.ts";

// What the functions run in the page use: the project's types leave the DOM out.
type HTMLElement = { dataset: Record<string, string | undefined>; getAttribute(name: string): string | null };
type HTMLCanvasElement = {
  width: number;
  height: number;
  getContext(kind: "2d"): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
};
declare const document: {
  querySelectorAll(selector: string): Iterable<HTMLElement>;
  querySelector(selector: string): HTMLElement | null;
  documentElement: { scrollWidth: number; clientWidth: number };
  body: unknown;
};
declare function getComputedStyle(element: unknown): { backgroundColor: string };

const API_KEY = BROWSER_API_KEY;
const XSS = XSS_NAME;
const DAY_MS = 86_400_000;

const harness = new Harness();
const browser = new BrowserHarness();
let sim: Simulator;
let xssSim: Simulator;
let up: Exporter;
let xss: Exporter;

/** Every `featureName` equal to `from` in the model (entitlements, server features, leases) becomes `to`. */
function renameFeature(node: unknown, from: string, to: string): void {
  if (node instanceof Map) for (const v of node.values()) renameFeature(v, from, to);
  else if (Array.isArray(node)) for (const v of node) renameFeature(v, from, to);
  else if (node && typeof node === "object") {
    const o = node as Record<string, unknown>;
    if (o.featureName === from) o.featureName = to;
    for (const v of Object.values(o)) renameFeature(v, from, to);
  }
}

const entitlementFeatures = (m: SimModel) =>
  m.virtualGroups.flatMap((vg) => vg.entitlements ?? []).flatMap((e) => e.entitlementProductKeys.flatMap((k) => k.entitlementFeatures));

beforeAll(async () => {
  sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: API_KEY });
  // One key ends within 7 days, another within 30: the page highlights both, the first in red.
  const [soon, later] = entitlementFeatures(sim.model);
  soon!.endDate = new Date(Date.now() + 5 * DAY_MS).toISOString();
  later!.endDate = new Date(Date.now() + 20 * DAY_MS).toISOString();
  // A group, a license server and a feature named with markup.
  xssSim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: API_KEY });
  xssSim.model.virtualGroups[0]!.name = XSS;
  [...xssSim.model.serversByVg.values()].flat()[0]!.name = XSS;
  renameFeature(xssSim.model, entitlementFeatures(xssSim.model)[0]!.featureName, XSS);
  [up, xss] = await Promise.all([
    harness.startExporter(envFor(sim), { waitUp: true, timeoutMs: 60_000 }),
    harness.startExporter(envFor(xssSim), { waitUp: true, timeoutMs: 60_000 }),
  ]);
}, 120_000);

afterAll(async () => {
  await browser.close();
  await harness.cleanup();
  await Promise.all([sim?.stop(), xssSim?.stop()]);
}, 60_000);

/** A /history answer: one org series of 48 hourly points rising to the 10 seats bought. */
function historyBody(url: URL, points = 48) {
  const now = Date.now();
  const feature = url.searchParams.get("feature_name")!;
  return {
    org_name: "o",
    from: "",
    to: "",
    step_seconds: 3600,
    series: [
      {
        kind: "feature_in_use",
        labels: { scope: "org", feature_name: feature },
        capacity: 10,
        points: Array.from({ length: points }, (_, i) => {
          const v = Math.min(10, Math.round(i / 4));
          return { t: new Date(now - (points - i) * 3_600_000).toISOString(), min: v, max: v, avg: v, last: v };
        }),
      },
    ],
  };
}

/** Answers the charts' /history reads with `answer` and records their URLs. */
function history(
  asked: URL[],
  answer: (url: URL) => { status: number; body: unknown } | "abort" = (u) => ({ status: 200, body: historyBody(u) }),
) {
  return async (page: Page) => {
    await page.route(/\/history\?/, (route) => {
      const url = new URL(route.request().url());
      asked.push(url);
      const a = answer(url);
      if (a === "abort") return route.abort("failed");
      return route.fulfill({ status: a.status, contentType: "application/json", body: JSON.stringify(a.body) });
    });
  };
}

async function openPage(url: string, opts: OpenOptions = {}): Promise<Visit> {
  const v = await browser.open(`${url}/`, opts);
  expect(v.status).toBe(200);
  return v;
}

/** Waits until every chart ended loading (drawn, or a message). */
const settled = (v: Visit) =>
  v.page.waitForFunction(() => [...document.querySelectorAll("figure.chart")].every((f) => (f as HTMLElement).dataset.state !== "loading"));

function expectClean(v: Visit): void {
  expect(v.cspViolations).toEqual([]);
  expect(v.dialogs).toEqual([]);
  expect(v.consoleErrors).toEqual([]);
  expect(v.pageErrors).toEqual([]);
  expect(v.foreign).toEqual([]);
}

/** label set (scope, group id, feature) → value, for one family of /metrics. */
async function metric(url: string, family: string): Promise<Map<string, string>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${family}{`)) continue;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    out.set(`${labels.scope} ${labels.virtual_group_id ?? ""} ${labels.feature_name}`, line.slice(line.lastIndexOf(" ") + 1));
  }
  return out;
}

/** The same keys read off the page's tables. */
async function pageFigures(page: Page): Promise<{ inUse: Map<string, string>; seats: Map<string, string> }> {
  const rows = await page.$$eval("table.demand tr.feature", (trs) =>
    trs.map((tr) => ({
      scope: tr.closest("table")!.dataset.scope!,
      group: (tr.closest("section.group") as HTMLElement | null)?.dataset.groupId ?? "",
      feature: (tr as HTMLElement).dataset.feature!,
      inUse: tr.querySelector(".in-use")!.textContent!,
      seats: tr.querySelector(".seats")!.textContent!,
    })),
  );
  const key = (r: (typeof rows)[number]) => `${r.scope} ${r.group} ${r.feature}`;
  return { inUse: new Map(rows.map((r) => [key(r), r.inUse])), seats: new Map(rows.map((r) => [key(r), r.seats])) };
}

/** Pixels of the chart's canvas that are not blank: what uPlot drew. */
const drawnPixels = (page: Page) =>
  page.$eval("figure.chart canvas", (c) => {
    const canvas = c as HTMLCanvasElement;
    const data = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
    return n;
  });

describe("the status page's insights in Chromium", () => {
  test(
    "each feature's seats in use and seats bought, per group and across the org, are what /metrics says",
    async () => {
      const v = await openPage(up.url, { setup: history([]) });
      const shown = await pageFigures(v.page);
      const inUse = await metric(up.url, "nvidia_cls_feature_seats_in_use");
      const seats = await metric(up.url, "nvidia_cls_feature_seats");
      expect(inUse.size).toBeGreaterThan(1);
      expect([...inUse.keys()].some((k) => k.startsWith("org "))).toBe(true);
      expect(shown.inUse).toEqual(inUse);
      expect(shown.seats).toEqual(seats);
      await settled(v);
      expectClean(v);
    },
    BROWSER_TIMEOUT_MS * 2,
  );

  test(
    "a chart per org feature is drawn from /history; a range button asks again for its range",
    async () => {
      const asked: URL[] = [];
      const v = await openPage(up.url, { setup: history(asked), viewport: { width: 1400, height: 900 } });
      await settled(v);
      const charts = await v.page.locator("figure.chart").count();
      expect(charts).toBeGreaterThan(0);
      expect(await v.page.locator('figure.chart[data-state="drawn"] canvas').count()).toBe(charts);
      expect(await drawnPixels(v.page)).toBeGreaterThan(500);
      expect(asked.map((u) => [u.pathname, u.searchParams.get("kind"), u.searchParams.get("scope"), u.searchParams.get("from")])).toEqual(
        Array(charts).fill(["/history", "feature_in_use", "org", "-7d"]),
      );
      const first = v.page.locator("figure.chart").first();
      await first.getByRole("button", { name: "30 d" }).click();
      await v.page.waitForFunction(() => document.querySelector("figure.chart")!.getAttribute("data-state") === "drawn");
      expect(asked.length).toBe(charts + 1);
      expect(asked.at(-1)!.searchParams.get("from")).toBe("-30d");
      expect(asked.at(-1)!.searchParams.get("feature_name")).toBe(await first.getAttribute("data-feature"));
      expect(await first.getByRole("button", { name: "30 d" }).getAttribute("aria-pressed")).toBe("true");
      expect(await first.getByRole("button", { name: "7 d" }).getAttribute("aria-pressed")).toBe("false");
      await browser.screenshot(v.page, "insights-1400");
      expectClean(v);
    },
    BROWSER_TIMEOUT_MS * 2,
  );

  test(
    "no history yet, and a history that cannot be read, are said in the chart's place",
    async () => {
      const empty = await openPage(up.url, { setup: history([], () => ({ status: 200, body: { series: [] } })) });
      await settled(empty);
      expect(await empty.page.locator("figure.chart .chart-status").first().textContent()).toBe("no history yet");
      expect(await empty.page.locator("figure.chart canvas").count()).toBe(0);
      expectClean(empty);
      const failing = await openPage(up.url, {
        setup: history([], () => ({
          status: 503,
          body: { error: "history is unavailable", reason: "locked", detail: "database is locked" },
        })),
      });
      await settled(failing);
      expect(await failing.page.locator("figure.chart .chart-status").first().textContent()).toBe(
        "history could not be read: database is locked",
      );
      const aborted = await openPage(up.url, { setup: history([], () => "abort") });
      await settled(aborted);
      expect(await aborted.page.locator("figure.chart .chart-status").first().textContent()).toStartWith("history could not be read: ");
      // The browser itself logs a failed request; nothing else went wrong.
      for (const v of [failing, aborted]) {
        expect(v.consoleErrors.every((e) => e.startsWith("Failed to load resource"))).toBe(true);
        expect(v.pageErrors).toEqual([]);
        expect(v.cspViolations).toEqual([]);
      }
    },
    BROWSER_TIMEOUT_MS * 2,
  );

  test(
    "entitlements by end date: within 7 days in red and said so, within 30 days highlighted",
    async () => {
      const v = await openPage(up.url, { setup: history([]) });
      const rows = v.page.locator("table.entitlements tbody tr");
      expect(await rows.first().getAttribute("class")).toBe("expiry expiry-week");
      expect(await rows.first().textContent()).toContain("ends within 7 days");
      expect(await rows.nth(1).getAttribute("class")).toBe("expiry expiry-month");
      expect(await rows.nth(1).textContent()).toContain("ends within 30 days");
      const bg = (i: number) => rows.nth(i).evaluate((tr) => getComputedStyle(tr).backgroundColor);
      expect(await bg(0)).toBe("rgb(253, 226, 226)");
      expect(await bg(1)).toBe("rgb(255, 244, 214)");
      expect(await rows.nth(2).evaluate((tr) => getComputedStyle(tr).backgroundColor)).toBe("rgba(0, 0, 0, 0)");
      await settled(v);
      expectClean(v);
    },
    BROWSER_TIMEOUT_MS * 2,
  );

  test(
    "on a 390 px phone the page does not scroll sideways; in dark mode it is dark and the charts still draw",
    async () => {
      const phone = await openPage(up.url, { setup: history([]), viewport: { width: 390, height: 844 } });
      await settled(phone);
      const widths = await phone.page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
      expect(widths[0]).toBeLessThanOrEqual(widths[1]!);
      expect(await drawnPixels(phone.page)).toBeGreaterThan(500);
      await browser.screenshot(phone.page, "insights-390");
      expectClean(phone);
      const dark = await openPage(up.url, { setup: history([]), colorScheme: "dark" });
      await settled(dark);
      expect(await dark.page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe("rgb(17, 20, 24)");
      expect(await drawnPixels(dark.page)).toBeGreaterThan(500);
      await browser.screenshot(dark.page, "insights-dark");
      expectClean(dark);
    },
    BROWSER_TIMEOUT_MS * 2,
  );

  test(
    `a group, a license server and a feature named ${XSS} are text everywhere, the chart's too`,
    async () => {
      const asked: URL[] = [];
      const v = await openPage(xss.url, { setup: history(asked) });
      await settled(v);
      expectClean(v);
      expect(await v.page.locator("img").count()).toBe(0);
      expect(await v.page.locator("section.group h3", { hasText: XSS }).count()).toBe(1);
      expect(await v.page.locator("table.demand th", { hasText: XSS }).count()).toBeGreaterThan(0);
      expect(await v.page.locator("figcaption", { hasText: XSS }).count()).toBe(1);
      expect(asked.map((u) => u.searchParams.get("feature_name"))).toContain(XSS);
      expect(v.requests.some((u) => u.endsWith("/x"))).toBe(false);
      await browser.screenshot(v.page, "insights-markup-in-names");
    },
    BROWSER_TIMEOUT_MS * 2,
  );
});
