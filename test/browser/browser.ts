/**
 * Real-browser checks: Debian's chromium (never a downloaded browser) driven by playwright-core.
 * Every page opened records what a user would not see: console errors, uncaught page errors, dialogs
 * (an alert() that an injected script would open), CSP violations, and every request; a request to
 * any origin but the exporter's is refused and recorded. Screenshots go to a temp folder (or
 * $SCREENSHOT_DIR, kept), never into the working tree.
 *
 * One `new BrowserHarness()` per test file, `close()` in afterAll: it closes the browser even when a
 * test failed half-way.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

/** The 2-core machine is shared: a page load or a browser start can take seconds. */
export const BROWSER_TIMEOUT_MS = 30_000;

/** The key the simulators of the browser tests take, and a name that is markup. */
export const BROWSER_API_KEY = "browser-test-key";
export const XSS_NAME = "<img src=x onerror=alert(1)>";

/** An exporter's environment against simulator `s` (its org and URL), with `key`. */
export const envFor = (s: { orgName: string; url: string }, key = BROWSER_API_KEY) => ({
  NVIDIA_API_KEY: key,
  NVIDIA_ORG_NAME: s.orgName,
  NVIDIA_API_BASE_URL: s.url,
});

/** What a root user in a container needs: no sandbox (no user namespaces), no /dev/shm (64 MB in Docker), no GPU. */
const CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"];

/** Fails (never skips) when the browser is missing, saying how to install it. */
export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  if (!existsSync(path)) {
    throw new Error(`no Chromium at ${path}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH`);
  }
  return path;
}

export interface Visit {
  page: Page;
  consoleErrors: string[];
  pageErrors: string[];
  dialogs: string[];
  cspViolations: string[];
  /** Every URL the page requested, in order. */
  requests: string[];
  /** Requests to another origin (refused). */
  foreign: string[];
}

export interface OpenOptions {
  /** Basic-auth credentials the browser answers a 401 with. */
  httpCredentials?: { username: string; password: string };
  /** CSS pixels; Playwright's default is 1280 × 720. */
  viewport?: { width: number; height: number };
  /** What prefers-color-scheme says. */
  colorScheme?: "light" | "dark";
  /** Runs before the page is loaded, e.g. to answer some requests with page.route (registered later, so tried first). */
  setup?: (page: Page) => Promise<void>;
}

export class BrowserHarness {
  private browser: Browser | undefined;
  private readonly contexts = new Set<BrowserContext>();
  private readonly shots: string;
  private readonly ownShots: boolean;

  constructor() {
    this.ownShots = process.env.SCREENSHOT_DIR === undefined;
    this.shots = process.env.SCREENSHOT_DIR ?? mkdtempSync(join(tmpdir(), "cls-screenshots-"));
    mkdirSync(this.shots, { recursive: true });
  }

  private async launch(): Promise<Browser> {
    this.browser ??= await chromium.launch({
      executablePath: chromiumPath(),
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: BROWSER_TIMEOUT_MS,
    });
    return this.browser;
  }

  /** Opens `url` in a fresh context (no shared cache or cookies) and waits until the page loaded. */
  async open(url: string, opts: OpenOptions = {}): Promise<Visit & { status: number | undefined }> {
    const browser = await this.launch();
    const { setup, ...contextOptions } = opts;
    const context = await browser.newContext(contextOptions);
    this.contexts.add(context);
    context.setDefaultTimeout(BROWSER_TIMEOUT_MS);
    const page = await context.newPage();
    const visit = await watch(page, new URL(url).origin);
    await setup?.(page);
    const res = await page.goto(url, { waitUntil: "load" });
    return { ...visit, status: res?.status() };
  }

  /** A full-page screenshot in the screenshot folder; returns its path. */
  async screenshot(page: Page, name: string): Promise<string> {
    const path = join(this.shots, `${name.replace(/[^A-Za-z0-9_-]+/g, "-")}.png`);
    await page.screenshot({ path, fullPage: true });
    return path;
  }

  /** Closes every context and the browser (bounded: a hung browser does not hang the suite), then the temp folder. */
  async close(): Promise<void> {
    const closing = (async () => {
      await Promise.allSettled([...this.contexts].map((c) => c.close()));
      await this.browser?.close();
    })();
    await Promise.race([closing.catch(() => {}), Bun.sleep(15_000)]);
    if (this.ownShots) rmSync(this.shots, { recursive: true, force: true });
  }
}

/** Listens to everything the page does; requests outside `origin` are aborted and recorded. */
async function watch(page: Page, origin: string): Promise<Visit> {
  const v: Visit = { page, consoleErrors: [], pageErrors: [], dialogs: [], cspViolations: [], requests: [], foreign: [] };
  page.on("console", (m) => {
    if (m.type() === "error") v.consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => v.pageErrors.push(e.message));
  page.on("dialog", (d) => {
    v.dialogs.push(`${d.type()}: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  // The binding and the init script are installed by the browser itself, outside the page's CSP.
  await page.exposeFunction("__recordCspViolation", (text: string) => v.cspViolations.push(text));
  await page.addInitScript({
    content:
      'document.addEventListener("securitypolicyviolation", (e) => window.__recordCspViolation(e.violatedDirective + " blocked " + (e.blockedURI || "inline")));',
  });
  await page.route("**/*", (route) => {
    const url = route.request().url();
    v.requests.push(url);
    if (new URL(url).origin === origin) return route.continue();
    v.foreign.push(url);
    return route.abort("blockedbyclient");
  });
  return v;
}
