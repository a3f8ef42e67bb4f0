import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config/index.ts";
import { createExporter, type Exporter } from "../../src/context.ts";
import type { Health } from "../../src/health.ts";
import { silentLogger } from "../../src/log.ts";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import { KEY } from "../cls/harness.ts";
import { snapshotAt } from "../store/helpers.ts";

let sim: Simulator;
const build = { version: "1.2.3", revision: "abc", bunVersion: Bun.version };

function exporterFor(baseUrl: string, env: Record<string, string> = {}): Exporter {
  const config = loadConfig({
    env: { NVIDIA_API_KEY: KEY, NVIDIA_ORG_NAME: "lic-example", NVIDIA_API_BASE_URL: baseUrl, ...env },
    argv: [],
    readFile: () => "",
  });
  return createExporter(config, { fetch: (u, i) => fetch(u, i), now: Date.now, log: silentLogger, build });
}

beforeAll(() => {
  sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: KEY });
});
afterAll(() => sim.stop());

describe("GET /metrics", () => {
  let ex: Exporter;
  beforeAll(() => {
    ex = exporterFor(sim.url);
  });
  afterAll(() => ex.stop());

  test("Prometheus text by default, with org_name on every nvidia_cls series and no bogus Node metrics", async () => {
    const res = await ex.app.request("/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = await res.text();
    expect(text).toContain('nvidia_cls_up{org_name="lic-example"} 1\n');
    expect(text).toContain('nvidia_cls_exporter_build_info{version="1.2.3",revision="abc",bun_version="');
    const samples = text.split("\n").filter((l) => l.startsWith("nvidia_cls_"));
    expect(samples.length).toBeGreaterThan(40);
    expect(samples.every((l) => l.includes('org_name="lic-example"'))).toBe(true);
    expect(samples.some((l) => l.includes('=""'))).toBe(false);
    expect(text).toContain("process_resident_memory_bytes ");
    expect(text).not.toMatch(/^nodejs_/m);
    expect(text).not.toContain("# EOF");
  });

  test("OpenMetrics when the scraper asks for it, ending in exactly one # EOF", async () => {
    const accept =
      "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    const res = await ex.app.request("/metrics", { headers: { accept } });
    expect(res.headers.get("content-type")).toBe("application/openmetrics-text; version=1.0.0; charset=utf-8");
    const text = await res.text();
    expect(text.endsWith("\n# EOF\n")).toBe(true);
    expect(text.split("# EOF").length).toBe(2);
    // OpenMetrics has no blank lines (this exporter runs without history or OTLP: no live families).
    expect(text).not.toContain("\n\n");
    expect(text).toContain("# TYPE nvidia_cls_refreshes counter\nnvidia_cls_refreshes_total");
  });

  test("gzip when accepted, decoding to the same series", async () => {
    const plain = await (await ex.app.request("/metrics")).text();
    const res = await ex.app.request("/metrics", { headers: { "accept-encoding": "br;q=1, gzip;q=0.8" } });
    expect(res.headers.get("content-encoding")).toBe("gzip");
    const unzipped = new TextDecoder().decode(Bun.gunzipSync(new Uint8Array(await res.arrayBuffer())));
    const series = (t: string) => t.split("\n").filter((l) => l.startsWith("nvidia_cls_"));
    expect(series(unzipped)).toEqual(series(plain));
    const refused = await ex.app.request("/metrics", { headers: { "accept-encoding": "gzip;q=0" } });
    expect(refused.headers.get("content-encoding")).toBeNull();
  });

  test("HEAD answers like GET without a body; other methods 405", async () => {
    const head = await ex.app.request("/metrics", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    const post = await ex.app.request("/metrics", { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });
});

describe("health view", () => {
  test("a snapshot restored from disk is 'restored' with up 0 until a refresh ends", async () => {
    const config = loadConfig({
      env: { NVIDIA_API_KEY: KEY, NVIDIA_ORG_NAME: "lic-example", NVIDIA_API_BASE_URL: sim.url },
      argv: [],
      readFile: () => "",
    });
    let answer: (r: Response) => void = () => {};
    const ex = createExporter(config, {
      fetch: () => new Promise<Response>((resolve) => (answer = resolve)),
      now: Date.now,
      log: silentLogger,
      build,
      restored: { ...snapshotAt(1_780_000_000, { "s1/vpc": 1 }), up: true },
    });
    ex.start();
    const before = (await (await ex.app.request("/healthz")).json()) as Health;
    expect(before).toMatchObject({ cls_up: false, cls: { state: "restored", failures: [] } });
    answer(new Response("no", { status: 401 }));
    await ex.cache.settled();
    const after = (await (await ex.app.request("/healthz")).json()) as Health;
    expect(after.cls.state).toBe("failing");
    expect(after.cls.failures[0]).toMatchObject({ endpoint: "virtual_groups", reason: "401", status: 401 });
    await ex.stop();
  });

  test("/healthz and the status page name the failing endpoint, its reason and a hint", async () => {
    const ex = exporterFor(sim.url);
    sim.setFaults([{ endpoint: "license_pools", status: 503 }]);
    try {
      await ex.app.request("/metrics");
      const h = (await (await ex.app.request("/healthz")).json()) as Health;
      expect(h.cls_up).toBe(false);
      expect(h.cls.state).toBe("failing");
      expect(h.cls.failures.length).toBe(1);
      expect(h.cls.failures[0]).toMatchObject({ endpoint: "license_pools", serving_last_good: 0 });
      expect(h.cls.failures[0]!.parts).toBeGreaterThan(0);
      expect(h.cls.failures[0]!.hint).toContain("server error");
      const page = await (await ex.app.request("/")).text();
      expect(page).toContain("failing: the last refresh did not fully succeed");
      expect(page).toContain("<b>license_pools</b>");
      expect(page).toContain("CLS had a server error");
    } finally {
      sim.clearFaults();
      await ex.stop();
    }
  });
});

describe("other routes", () => {
  test("/healthz and / answer without calling CLS; unknown paths 404", async () => {
    const ex = exporterFor(sim.url);
    sim.resetStats();
    const health = await ex.app.request("/healthz");
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({
      status: "ok",
      cls_up: false,
      data_age_seconds: null,
      cls: { state: "waiting", collected_at: null, last_success_at: null, failures: [], invalid_items: {} },
      history: { enabled: false },
      otlp: { enabled: false },
    });
    const page = await ex.app.request("/");
    expect(page.headers.get("content-type")).toStartWith("text/html");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await page.text()).toContain('<a href="/metrics">');
    expect((await ex.app.request("/nope")).status).toBe(404);
    expect(sim.stats().total).toBe(0);
    await ex.stop();
  });

  test("400 concurrent first scrapes cause one refresh: the minimum number of CLS calls", async () => {
    const ex = exporterFor(sim.url);
    sim.resetStats();
    const answers = await Promise.all(Array.from({ length: 400 }, async () => (await ex.app.request("/metrics")).text()));
    expect(answers.every((t) => t.includes('nvidia_cls_up{org_name="lic-example"} 1'))).toBe(true);
    expect(sim.stats().total).toBe(sim.expected().calls.total);
    await ex.stop();
  });

  test("METRICS_PATH moves the endpoint", async () => {
    const ex = exporterFor(sim.url, { METRICS_PATH: "/custom/path" });
    expect((await ex.app.request("/custom/path")).status).toBe(200);
    expect((await ex.app.request("/metrics")).status).toBe(404);
    await ex.stop();
  });

  test("with CLS unreachable and no snapshot, /metrics still answers 200 with up 0 within SCRAPE_TIMEOUT", async () => {
    const ex = exporterFor("http://127.0.0.1:9", { SCRAPE_TIMEOUT: "1s" });
    const res = await ex.app.request("/metrics");
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('nvidia_cls_up{org_name="lic-example"} 0');
    expect(text).toMatch(
      /nvidia_cls_refresh_errors_total\{endpoint="virtual_groups",reason="(network|timeout)",org_name="lic-example"\} 1/,
    );
    expect(text).not.toContain(KEY);
    await ex.stop();
  });
});
