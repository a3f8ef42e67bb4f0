import { describe, expect, test } from "bun:test";
import { type AppDeps, createApp, PAGE_CSP } from "../../src/http/app.ts";
import { ASSET_CACHE_CONTROL } from "../../src/http/assets.ts";
import { silentLogger } from "../../src/log.ts";
import { ASSETS, assetOf, PAGE_CSS, PAGE_JS, UPLOT_CSS, UPLOT_JS } from "../../src/render/assets.ts";

const TOKEN = "Bearer asset-test-token";

/** An app whose page and assets are reachable; nothing else is needed by these routes. */
function appWith(extra: Partial<AppDeps> = {}) {
  return createApp({
    orgName: "o",
    metricsPath: "/metrics",
    view: () => new Promise(() => {}),
    peek: () => undefined,
    current: () => ({ snapshot: undefined, build: { version: "1", revision: "r", bunVersion: Bun.version } }) as never,
    health: () =>
      ({
        status: "ok",
        cls_up: false,
        data_age_seconds: null,
        cls: { state: "waiting", collected_at: null, last_success_at: null, failures: [], invalid_items: {} },
        history: { enabled: false },
        otlp: { enabled: false },
      }) as never,
    renderer: {} as never,
    now: Date.now,
    log: silentLogger,
    ...extra,
  });
}

describe("assets: the pages' files at versioned paths", () => {
  test("a path holds a hash of the content: same text, same path; other text, other path", () => {
    expect(PAGE_CSS.path).toMatch(/^\/assets\/[0-9a-f]{16}\/page\.css$/);
    expect(assetOf("page.css", "text/css", "a{}").path).toBe(assetOf("page.css", "text/css", "a{}").path);
    expect(assetOf("page.css", "text/css", "a{}").path).not.toBe(assetOf("page.css", "text/css", "b{}").path);
    expect(new Set(ASSETS.map((a) => a.path)).size).toBe(ASSETS.length);
  });

  test("the style sheet: its bytes, its type, cached for a year and never revalidated", async () => {
    const res = await appWith().request(PAGE_CSS.path);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe(ASSET_CACHE_CONTROL);
    expect(ASSET_CACHE_CONTROL).toBe("max-age=31536000, immutable");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const text = await res.text();
    expect(text).toBe(new TextDecoder().decode(PAGE_CSS.body));
    expect(text).toContain("max-width: 80rem");
  });

  test("HEAD answers like GET without a body", async () => {
    const res = await appWith().request(PAGE_CSS.path, { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe(ASSET_CACHE_CONTROL);
    expect(await res.text()).toBe("");
  });

  test("any other path under /assets is a 404, never cached for long; other methods 405", async () => {
    const app = appWith();
    const [, , hash] = PAGE_CSS.path.split("/");
    for (const path of [
      "/assets",
      "/assets/",
      `/assets/${hash}`,
      `/assets/${hash}/other.css`,
      "/assets/0000000000000000/page.css",
      `${PAGE_CSS.path}/x`,
    ]) {
      const res = await app.request(path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get("cache-control") ?? "", path).not.toContain("immutable");
    }
    const post = await app.request(PAGE_CSS.path, { method: "POST" });
    expect(post.status).toBe(405);
  });

  test("behind the same guard as the page: 401 without credentials, served with them", async () => {
    const app = appWith({ gate: () => ({ auth: (h) => h === TOKEN, challenge: "Bearer" }) });
    for (const path of ["/", PAGE_CSS.path]) {
      expect((await app.request(path)).status, path).toBe(401);
      expect((await app.request(path, { headers: { authorization: TOKEN } })).status, path).toBe(200);
    }
  });
});

describe("the status page under its CSP", () => {
  test("the policy is exactly the documented one: nothing inline, everything from the exporter itself", async () => {
    const res = await appWith().request("/");
    expect(res.headers.get("content-security-policy")).toBe(
      "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    );
    expect(res.headers.get("content-security-policy")).toBe(PAGE_CSP);
  });

  test("no inline style or script: the page links the versioned style sheets and scripts", async () => {
    const html = await (await appWith().request("/")).text();
    for (const a of [PAGE_CSS, UPLOT_CSS]) expect(html).toContain(`<link rel="stylesheet" href="${a.path}"/>`);
    for (const a of [UPLOT_JS, PAGE_JS]) expect(html).toContain(`<script src="${a.path}" defer=""></script>`);
    // Every script element loads a file and is empty; no style element or attribute, no handler attribute.
    expect(html.match(/<script/g)?.length).toBe(2);
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)|<script[^>]*>[^<]|<style|\sstyle=|\son[a-z]+=/i);
  });

  test("the scripts are served as JavaScript, cached like every asset", async () => {
    for (const a of [PAGE_JS, UPLOT_JS, UPLOT_CSS]) {
      const res = await appWith().request(a.path);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe(a.contentType);
      expect(res.headers.get("cache-control")).toBe(ASSET_CACHE_CONTROL);
      expect(await res.text()).toBe(new TextDecoder().decode(a.body));
    }
    expect(PAGE_JS.contentType).toBe("text/javascript; charset=utf-8");
  });
});
