/**
 * The status page GET / in real Chromium, served by the exporter process against the simulator:
 * what it shows when CLS is up, when CLS refuses the key, and when CLS sends markup in a name; and
 * that it works under its CSP without a console error or a request to another origin.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PAGE_CSP } from "../../src/http/app.ts";
import { PAGE_CSS, PAGE_JS, UPLOT_CSS, UPLOT_JS } from "../../src/render/assets.ts";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import { type Exporter, Harness, waitFor } from "../integration/harness.ts";
import { BROWSER_API_KEY, BROWSER_TIMEOUT_MS, BrowserHarness, envFor, type Visit, XSS_NAME } from "./browser.ts";

const API_KEY = BROWSER_API_KEY;
const XSS = XSS_NAME;
const USER = { username: "admin", password: "browser-password-42" };

const harness = new Harness();
const browser = new BrowserHarness();
let sim: Simulator;
let xssSim: Simulator;
let up: Exporter;
let badKey: Exporter;
let xss: Exporter;
let basic: Exporter;

/** Until the exporter's health names a failing endpoint (the first refresh has ended). */
const failing = (e: Exporter) =>
  waitFor(`${e.url} to report a failure`, async () => {
    const h = (await (await fetch(`${e.url}/healthz`)).json()) as { cls: { failures: unknown[] } };
    return h.cls.failures.length > 0 ? true : undefined;
  });

beforeAll(async () => {
  sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: API_KEY });
  // A license server named with markup, whose pools CLS refuses with an error naming it: the page shows that error.
  xssSim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: API_KEY });
  const server = [...xssSim.model.serversByVg.values()].flat()[0]!;
  server.name = XSS;
  xssSim.setFaults([
    { endpoint: "license_pools", serverId: server.id, status: 403, body: { status: 403, message: `license server ${XSS} refused` } },
  ]);
  const web = join(harness.tempDir("cls-browser-web-"), "web.yml");
  writeFileSync(web, `basic_auth_users:\n  ${USER.username}: ${Bun.password.hashSync(USER.password, { algorithm: "bcrypt", cost: 10 })}\n`);
  [up, badKey, xss, basic] = await Promise.all([
    harness.startExporter(envFor(sim), { waitUp: true, timeoutMs: 60_000 }),
    harness.startExporter(envFor(sim, "not-the-key"), { timeoutMs: 60_000 }),
    harness.startExporter(envFor(xssSim), { timeoutMs: 60_000 }),
    harness.startExporter({ ...envFor(sim), WEB_CONFIG_FILE: web }, { waitUp: true, timeoutMs: 60_000 }),
  ]);
  await Promise.all([failing(badKey), failing(xss)]);
  const auth = `Basic ${btoa(`${USER.username}:${USER.password}`)}`;
  await Promise.all([recorded(up.url), recorded(basic.url, auth), recorded(xss.url)]);
}, 120_000);

/**
 * Until /history holds the first refresh: it is written just after the scrape that waited for it,
 * and a range ending now leaves out a refresh of the current second. A page opened earlier would
 * truthfully say "no history yet".
 */
async function recorded(url: string, authorization?: string): Promise<void> {
  const headers: Record<string, string> = authorization ? { authorization } : {};
  for (const until = Date.now() + 30_000; Date.now() < until; await Bun.sleep(200)) {
    const res = await fetch(`${url}/history?kind=feature_in_use&scope=org`, { headers });
    if (res.ok && ((await res.json()) as { series: unknown[] }).series.length > 0) return;
  }
  throw new Error(`${url}: the first refresh never reached /history`);
}

afterAll(async () => {
  await browser.close();
  await harness.cleanup();
  await Promise.all([sim?.stop(), xssSim?.stop()]);
}, 60_000);

/** Nothing went wrong that a user would not see: no error, no dialog, no CSP violation, nothing fetched elsewhere. */
function expectClean(v: Visit): void {
  expect(v.cspViolations).toEqual([]);
  expect(v.dialogs).toEqual([]);
  expect(v.consoleErrors).toEqual([]);
  expect(v.pageErrors).toEqual([]);
  expect(v.foreign).toEqual([]);
}

/** The page and its four files, whatever order the browser asked for them in; the charts' /history reads apart. */
const pageFiles = (url: string) => [`${url}/`, ...[UPLOT_CSS, PAGE_CSS, UPLOT_JS, PAGE_JS].map((a) => `${url}${a.path}`)].sort();
const besidesHistory = (v: Visit, url: string) => v.requests.filter((u) => !u.startsWith(`${url}/history?`)).sort();

/**
 * The charts' states once each ended loading: "drawn" when the exporter's own /history (kind
 * feature_in_use, recorded at every refresh) had points for it.
 */
const chartStates = async (v: Visit) => {
  await v.page.waitForFunction(() =>
    [
      ...(
        globalThis as unknown as { document: { querySelectorAll(s: string): Iterable<{ dataset: { state?: string } }> } }
      ).document.querySelectorAll("figure.chart"),
    ].every((f) => f.dataset.state !== "loading"),
  );
  return v.page
    .locator("figure.chart")
    .evaluateAll((figs) => figs.map((f) => (f as unknown as { dataset: { state?: string } }).dataset.state));
};

const rowText = (v: Visit, header: string) =>
  v.page
    .locator("tr", { has: v.page.locator("th", { hasText: header }) })
    .locator("td")
    .textContent();

describe("the status page in Chromium", () => {
  test(
    "CLS up: the org and the health state, styled by the versioned style sheet under the exact CSP, nothing else fetched",
    async () => {
      const v = await browser.open(`${up.url}/`);
      expect(v.status).toBe(200);
      const res = await fetch(`${up.url}/`);
      expect(res.headers.get("content-security-policy")).toBe(PAGE_CSP);
      expect(PAGE_CSP).toBe(
        "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
      );
      await v.page.locator("h1").waitFor();
      expect(await v.page.locator("h1").textContent()).toBe("NVIDIA License Server exporter");
      expect(await rowText(v, "Organisation")).toBe(sim.orgName);
      expect(await rowText(v, "CLS")).toBe("up: the last refresh succeeded");
      expect(await rowText(v, "License servers")).toBe(String([...sim.model.serversByVg.values()].flat().length));
      // The style sheet applied (80rem = 1280 px): it loaded under style-src 'self', from its versioned path.
      expect(await v.page.evaluate("getComputedStyle(document.body).maxWidth")).toBe("1280px");
      expect(besidesHistory(v, up.url)).toEqual(pageFiles(up.url));
      // The first refresh was recorded: every feature's chart is drawn from the exporter's history.
      const states = await chartStates(v);
      expect(states.length).toBeGreaterThan(0);
      expect(states.every((s) => s === "drawn")).toBe(true);
      await browser.screenshot(v.page, "status-page-up");
      expectClean(v);
    },
    BROWSER_TIMEOUT_MS * 2,
  );

  test(
    "CLS answers 401: the page shows the failing endpoint, the status, the reason and the hint",
    async () => {
      const v = await browser.open(`${badKey.url}/`);
      expect(await rowText(v, "CLS")).toBe("failing: the last refresh did not fully succeed");
      const failure = await v.page.locator("li", { hasText: "virtual_groups" }).textContent();
      expect(failure).toContain("(HTTP 401)");
      expect(failure).toContain("CLS rejected the API key: check NVIDIA_API_KEY");
      expect(failure).toContain("missing or invalid x-api-key");
      expect(failure).not.toContain("not-the-key");
      await browser.screenshot(v.page, "status-page-401");
      expectClean(v);
    },
    BROWSER_TIMEOUT_MS * 2,
  );

  test(
    `a server named ${XSS} is shown as text: no dialog, no img element`,
    async () => {
      const v = await browser.open(`${xss.url}/`);
      await chartStates(v);
      // Read as markup, the name would make an img element whose inline handler the CSP refuses (a violation).
      expectClean(v);
      expect(await v.page.locator("img").count()).toBe(0);
      const failure = await v.page.locator("li", { hasText: "license_pools" }).textContent();
      expect(failure).toContain(`license server ${XSS} refused`);
      // An injected <img src=x> would have requested x and fired its onerror before the load event.
      expect(besidesHistory(v, xss.url)).toEqual(pageFiles(xss.url));
      await browser.screenshot(v.page, "status-page-markup-in-name");
    },
    BROWSER_TIMEOUT_MS * 2,
  );

  test(
    "behind basic auth: the browser's credentials get the page and its style sheet",
    async () => {
      const v = await browser.open(`${basic.url}/`, { httpCredentials: USER });
      expect(v.status).toBe(200);
      expect(await rowText(v, "CLS")).toBe("up: the last refresh succeeded");
      expect(await v.page.evaluate("getComputedStyle(document.body).maxWidth")).toBe("1280px");
      // The charts' /history reads carry the same credentials: the browser resends them.
      expect((await chartStates(v)).every((s) => s === "drawn")).toBe(true);
      expect((await fetch(`${basic.url}${PAGE_CSS.path}`)).status).toBe(401);
      expectClean(v);
    },
    BROWSER_TIMEOUT_MS * 2,
  );
});
