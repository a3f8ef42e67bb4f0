/**
 * How CLS is reached, as a process: certificate checks cannot be turned off, a private CA is trusted
 * through NVIDIA_API_CA_FILE only, HTTPS_PROXY/HTTP_PROXY carry the calls unless NO_PROXY lists the
 * host, and neither a proxy's password nor a token in the base URL is ever printed.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import { type ForwardProxy, startHttpsFront, startProxy, tlsFixture } from "./fronts.ts";
import { Harness } from "./harness.ts";

const KEY = `nvapi-${crypto.randomUUID()}`;
const PROXY_PASSWORD = `pp-${crypto.randomUUID()}`;
const harness = new Harness();
let sim: Simulator;
let proxy: ForwardProxy;
let front: ReturnType<typeof startHttpsFront>;

beforeAll(async () => {
  sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: KEY });
  proxy = await startProxy();
  front = startHttpsFront(sim.url);
});
afterAll(async () => {
  await harness.cleanup();
  await front?.stop();
  await proxy?.stop();
  await sim?.stop();
}, 30_000);

const base = () => ({ NVIDIA_API_KEY: KEY, NVIDIA_ORG_NAME: "lic-example", NVIDIA_API_BASE_URL: sim.url, CACHE_TTL: "1s" });

async function exitsWith(env: Record<string, string>): Promise<string> {
  const p = harness.spawn("exporter", [process.execPath, "run", "src/index.ts"], { LISTEN_ADDRESS: "127.0.0.1:0", ...env });
  expect(await p.proc.exited).toBe(2);
  await p.stop();
  return p.output();
}

describe("reaching CLS", () => {
  test("NODE_TLS_REJECT_UNAUTHORIZED=0 stops start-up, naming the variable", async () => {
    const out = await exitsWith({ ...base(), NODE_TLS_REJECT_UNAUTHORIZED: "0" });
    expect(out).toContain("NODE_TLS_REJECT_UNAUTHORIZED: must be unset (or 1)");
  }, 30_000);

  test("a base URL holding a token is refused and never echoed", async () => {
    const out = await exitsWith({ ...base(), NVIDIA_API_BASE_URL: `${sim.url}/?token=${KEY}` });
    expect(out).toContain("NVIDIA_API_BASE_URL: must not hold a query string");
    expect(out).not.toContain(KEY);
  }, 30_000);

  test("a private CA: without NVIDIA_API_CA_FILE a clear network error, with it the calls succeed", async () => {
    const without = await harness.startExporter({ ...base(), NVIDIA_API_BASE_URL: front.url });
    await without.proc.waitForLine(/refresh failed.*reason=network.*UNABLE_TO_VERIFY_LEAF_SIGNATURE/, { timeoutMs: 20_000 });
    expect(await without.proc.stop()).toBe(0);

    const withCa = await harness.startExporter(
      { ...base(), NVIDIA_API_BASE_URL: front.url, NVIDIA_API_CA_FILE: tlsFixture("ca.pem") },
      { waitUp: true, timeoutMs: 20_000 },
    );
    expect(withCa.proc.output()).toContain("cls_ca=NVIDIA_API_CA_FILE");
    expect(await withCa.proc.stop()).toBe(0);
  }, 60_000);

  test("HTTP_PROXY carries the calls (its password sent to the proxy, never printed); NO_PROXY bypasses it", async () => {
    const viaUrl = proxy.url.replace("http://", `http://exporter:${PROXY_PASSWORD}@`);
    const before = proxy.seen.length;
    const via = await harness.startExporter({ ...base(), HTTP_PROXY: viaUrl }, { waitUp: true, timeoutMs: 20_000 });
    const went = proxy.seen.slice(before);
    expect(went.some((s) => s.line.startsWith(`GET ${sim.url}/v1/org/lic-example/`))).toBe(true);
    expect(went[0]?.auth).toBe(`Basic ${btoa(`exporter:${PROXY_PASSWORD}`)}`);
    expect(via.proc.output()).toContain(`cls_proxy="${proxy.url} (with credentials) from HTTP_PROXY"`);
    expect(await via.proc.stop()).toBe(0);
    expect(via.proc.output()).not.toContain(PROXY_PASSWORD);

    const after = proxy.seen.length;
    const bypass = await harness.startExporter({ ...base(), http_proxy: viaUrl, NO_PROXY: "localhost,127.0.0.0/8" }, { waitUp: true });
    expect(bypass.proc.output()).toContain('cls_proxy="none (CLS host in NO_PROXY)"');
    expect(await bypass.proc.stop()).toBe(0);
    expect(proxy.seen.length).toBe(after);
  }, 60_000);

  test("HTTPS_PROXY tunnels https calls (CONNECT), with the private CA", async () => {
    const before = proxy.seen.length;
    const e = await harness.startExporter(
      { ...base(), NVIDIA_API_BASE_URL: front.url, NVIDIA_API_CA_FILE: tlsFixture("ca.pem"), HTTPS_PROXY: proxy.url },
      { waitUp: true, timeoutMs: 20_000 },
    );
    expect(proxy.seen.slice(before).map((s) => s.line)).toContain(`CONNECT ${new URL(front.url).host}`);
    expect(await e.proc.stop()).toBe(0);
  }, 60_000);
});
