/**
 * Issue: OTLP gRPC push. The exporter runs as a process against the CLS simulator and pushes to a
 * real gRPC receiver on 127.0.0.1 (plaintext, TLS and mutual TLS); what arrives is compared with
 * what /metrics serves for the same snapshot.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { status } from "@grpc/grpc-js";
import { CATALOG, LIVE_CATALOG } from "../../src/render/catalog.ts";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import { freePort, Harness, waitFor } from "./harness.ts";
import { type Sample, sampleValue, scrape } from "./history-helpers.ts";
import { type Push, pushedSamples, type Receiver, startReceiver } from "./otlp-receiver.ts";

const KEY = "otlp-test-key-5d1e";
const TLS_DIR = join(import.meta.dir, "..", "fixtures", "tls");
const tlsFile = (name: string) => join(TLS_DIR, name);
const pem = (name: string) => readFileSync(tlsFile(name), "utf8");

const harness = new Harness();
const receivers: Receiver[] = [];
let sim: Simulator;

beforeAll(() => {
  sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: KEY, seed: 7 });
});
afterAll(async () => {
  await harness.cleanup();
  await Promise.all(receivers.map((r) => r.stop()));
  await sim.stop();
});

async function receiver(opts: Parameters<typeof startReceiver>[0] = {}): Promise<Receiver> {
  const r = await startReceiver(opts);
  receivers.push(r);
  return r;
}

const exporterEnv = (r: { port: number }, extra: Record<string, string> = {}) => ({
  NVIDIA_API_KEY: KEY,
  NVIDIA_ORG_NAME: sim.orgName,
  NVIDIA_API_BASE_URL: sim.url,
  OTEL_ENABLED: "true",
  OTEL_ENDPOINT: `127.0.0.1:${r.port}`,
  OTEL_PUSH_INTERVAL: "1s",
  ...extra,
});

const nextPush = (r: Receiver, after = 0, check: (p: Push) => boolean = () => true) =>
  waitFor(`a push to :${r.port}`, () => r.pushes.slice(after).find(check));

const key = (s: Sample) => `${s.name}${JSON.stringify(Object.entries(s.labels).sort())} ${s.value}`;
const names = (samples: Sample[]) => [...new Set(samples.map((s) => s.name))].sort();
const only = (samples: Sample[], families: readonly { name: string }[]) => samples.filter((s) => families.some((f) => f.name === s.name));

describe("push carries what /metrics serves", () => {
  let push: Push;
  let pulled: Sample[];

  beforeAll(async () => {
    const r = await receiver();
    // A long TTL: the snapshot cannot change between the push and the scrape compared with it.
    const e = await harness.startExporter(
      exporterEnv(r, {
        CACHE_TTL: "1h",
        OTEL_SERVICE_NAME: "cls-exporter-test",
        OTEL_RESOURCE_ATTRIBUTES: "deployment.environment.name=test%20lab,service.name=overridden,team=gpu%2Cfleet",
        OTEL_EXPORTER_OTLP_HEADERS: "Authorization=Bearer%20t0ken%3D%3D,x-tenant=general",
        OTEL_EXPORTER_OTLP_METRICS_HEADERS: "x-tenant=metrics",
        OTEL_EXPORTER_OTLP_COMPRESSION: "gzip",
      }),
      { waitUp: true },
    );
    // A push after the first accepted one and the first history write, so every live family exists.
    push = await nextPush(r, 0, (p) =>
      ["nvidia_cls_otlp_last_success_timestamp_seconds", "nvidia_cls_history_last_write_timestamp_seconds"].every((n) =>
        p.metrics.some((m) => m.name === n),
      ),
    );
    pulled = await scrape(e);
  }, 30_000);

  test("every snapshot family has the same names, attributes and values as the scrape", () => {
    const pushed = pushedSamples(push);
    expect(only(pushed, CATALOG).map(key).sort()).toEqual(only(pulled, CATALOG).map(key).sort());
    expect(only(pushed, CATALOG).length).toBeGreaterThan(50);
    // The live families are there too (their values move between the push and the scrape).
    expect(names(only(pushed, LIVE_CATALOG))).toEqual(names(only(pulled, LIVE_CATALOG)));
    expect(names(only(pushed, LIVE_CATALOG))).toContain("nvidia_cls_otlp_export_failures_total");
    // Only the catalogue is pushed: no process_* figures, every point carries org_name.
    expect(pushed.every((s) => s.name.startsWith("nvidia_cls_") && s.labels.org_name === sim.orgName)).toBe(true);
  });

  test("gauges are gauges; counters cumulative monotonic sums since the process started; help and unit kept", () => {
    for (const def of [...CATALOG, ...LIVE_CATALOG]) {
      const m = push.metrics.find((x) => x.name === def.name);
      if (!m) continue;
      expect(m.kind).toBe(def.type === "counter" ? "sum" : "gauge");
      if (def.type === "counter") expect([m.monotonic, m.temporality]).toEqual([true, 2]);
      expect([m.description, m.unit]).toEqual([def.help, def.unit]);
    }
    const up = push.metrics.find((m) => m.name === "nvidia_cls_up")!.points[0]!;
    expect(Math.abs(Number(up.timeNs / 1_000_000n) - push.at)).toBeLessThan(5_000);
    const counter = push.metrics.find((m) => m.name === "nvidia_cls_refreshes_total")!.points[0]!;
    expect(counter.startNs).toBeLessThan(counter.timeNs);
  });

  test("the resource names the service, the instance, the org and OTEL_RESOURCE_ATTRIBUTES, decoded", () => {
    expect(push.resource).toMatchObject({
      "service.name": "cls-exporter-test",
      "service.instance.id": hostname(),
      "nvidia.cls.org.name": sim.orgName,
      "deployment.environment.name": "test lab",
      team: "gpu,fleet",
      "telemetry.sdk.language": "nodejs",
    });
    expect(push.resource["service.version"]).toMatch(/^\d+\.\d+\.\d+/);
    expect(push.scope.name).toBe("nvidia-license-server-exporter");
  });

  test("headers arrive percent-decoded and lower-cased; the metrics-specific variable wins per key", () => {
    expect(push.metadata.authorization).toBe("Bearer t0ken==");
    expect(push.metadata["x-tenant"]).toBe("metrics");
  });
});

test("nvidia_cls_up 0 is pushed when CLS has never answered", async () => {
  const r = await receiver();
  await harness.startExporter(exporterEnv(r, { NVIDIA_API_BASE_URL: `http://127.0.0.1:${freePort()}`, SCRAPE_TIMEOUT: "1s" }));
  const push = await nextPush(r);
  const pushed = pushedSamples(push);
  expect(sampleValue(pushed, "nvidia_cls_up")).toBe(0);
  expect(pushed.some((s) => s.name === "nvidia_cls_license_server_feature_active_leases")).toBe(false);
  expect(pushed.some((s) => s.name === "nvidia_cls_refresh_errors_total" && s.value > 0)).toBe(true);
}, 30_000);

describe("TLS", () => {
  const serverTls = { cert: pem("server.pem"), key: pem("server-key.pem") };

  test("OTEL_INSECURE=false with a self-signed CA from OTEL_EXPORTER_OTLP_CERTIFICATE", async () => {
    const r = await receiver({ tls: serverTls });
    // A host name, not 127.0.0.1: Bun refuses an IP address as TLS server name (config rejects it).
    await harness.startExporter(
      exporterEnv(r, { OTEL_ENDPOINT: `localhost:${r.port}`, OTEL_INSECURE: "false", OTEL_EXPORTER_OTLP_CERTIFICATE: tlsFile("ca.pem") }),
    );
    expect(sampleValue(pushedSamples(await nextPush(r)), "nvidia_cls_up")).toBeDefined();
  }, 30_000);

  test("mutual TLS with OTEL_EXPORTER_OTLP_CLIENT_KEY and _CLIENT_CERTIFICATE", async () => {
    const r = await receiver({ tls: { ...serverTls, ca: pem("ca.pem"), requireClientCert: true } });
    await harness.startExporter(
      exporterEnv(r, {
        OTEL_ENDPOINT: `https://localhost:${r.port}`,
        OTEL_EXPORTER_OTLP_METRICS_CERTIFICATE: tlsFile("ca.pem"),
        OTEL_EXPORTER_OTLP_CLIENT_KEY: tlsFile("client-key.pem"),
        OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: tlsFile("client.pem"),
      }),
    );
    expect(sampleValue(pushedSamples(await nextPush(r)), "nvidia_cls_up")).toBeDefined();
  }, 30_000);

  test("a collector whose certificate the CA did not sign gets nothing; the failure is counted, /metrics unaffected", async () => {
    const r = await receiver({ tls: serverTls });
    const e = await harness.startExporter(
      exporterEnv(r, {
        OTEL_ENDPOINT: `localhost:${r.port}`,
        OTEL_INSECURE: "false",
        OTEL_EXPORTER_OTLP_CERTIFICATE: tlsFile("other-ca.pem"),
      }),
    );
    await waitFor("a counted failure", async () =>
      (sampleValue(await scrape(e), "nvidia_cls_otlp_export_failures_total", { reason: "unavailable" }) ?? 0) >= 2 ? true : undefined,
    );
    expect(r.pushes).toHaveLength(0);
    expect(e.proc.output()).toMatch(/msg="OTLP push failed; retrying every interval" endpoint=https:\/\/localhost:\d+ reason=unavailable/);
  }, 30_000);
});

test("collector down, then back: failures counted and logged once, /metrics answers throughout, pushing resumes", async () => {
  const first = await receiver();
  const port = first.port;
  const e = await harness.startExporter(exporterEnv(first), { waitUp: true });
  await nextPush(first);
  await first.stop();

  const failures = async () => sampleValue(await scrape(e), "nvidia_cls_otlp_export_failures_total", { reason: "unavailable" }) ?? 0;
  await waitFor("four failed pushes", async () => ((await failures()) >= 4 ? true : undefined));
  const failedLines = e.proc.output().match(/msg="OTLP push failed/g) ?? [];
  expect(failedLines).toHaveLength(1);

  const back = await receiver({ port });
  const push = await nextPush(back);
  expect(sampleValue(pushedSamples(push), "nvidia_cls_up")).toBe(1);
  await e.proc.waitForLine(/msg="OTLP push recovered" endpoint=\S+ failed_pushes=\d+/);
  // The live section of /metrics is rendered at most once a second: wait for it to show the success.
  await waitFor("the success in /metrics", async () =>
    (sampleValue(await scrape(e), "nvidia_cls_otlp_last_success_timestamp_seconds") ?? 0) >= Math.floor(push.at / 1000) - 1
      ? true
      : undefined,
  );
}, 30_000);

test("a collector that refuses (UNAUTHENTICATED) is counted by reason", async () => {
  const r = await receiver({ failWith: status.UNAUTHENTICATED });
  const e = await harness.startExporter(exporterEnv(r));
  await waitFor("an unauthenticated failure", async () =>
    (sampleValue(await scrape(e), "nvidia_cls_otlp_export_failures_total", { reason: "unauthenticated" }) ?? 0) >= 1 ? true : undefined,
  );
  expect(e.proc.output()).toContain("reason=unauthenticated");
}, 30_000);

test("SIGTERM: a final push, then exit 0", async () => {
  const r = await receiver();
  const e = await harness.startExporter(exporterEnv(r, { OTEL_PUSH_INTERVAL: "1h" }), { waitUp: true });
  await nextPush(r);
  const before = r.pushes.length;
  expect(await e.proc.stop()).toBe(0);
  expect(r.pushes.length).toBe(before + 1);
  expect(sampleValue(pushedSamples(r.pushes.at(-1)!), "nvidia_cls_up")).toBe(1);
}, 30_000);

test("SIGTERM with a black-holed collector still exits 0, within a bounded time", async () => {
  // A TCP listener that accepts and never answers: the gRPC handshake hangs.
  const hole = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  try {
    const e = await harness.startExporter(exporterEnv(hole, { OTEL_PUSH_INTERVAL: "1h", OTEL_EXPORTER_OTLP_TIMEOUT: "30000" }));
    await e.proc.waitForLine(/msg="pushing metrics over OTLP gRPC"/);
    // The pusher gives up on the push in flight and on the final one after 3 s each; a process
    // still alive after 15 s is killed and fails the test.
    expect(await e.proc.stop(15_000)).toBe(0);
  } finally {
    hole.stop(true);
  }
}, 30_000);

test("a collector that accepts TCP but never answers: the exporter gives each connection 20 s, then closes it", async () => {
  // Without the grpc-js patch (patches/), such connections stayed open for good: one more each
  // time the OTel transport replaced its client, i.e. a file descriptor leak.
  let opened = 0;
  let closed = 0;
  const hole = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open() {
        opened++;
      },
      close() {
        closed++;
      },
      data() {},
    },
  });
  try {
    const e = await harness.startExporter(exporterEnv(hole, { OTEL_EXPORTER_OTLP_TIMEOUT: "500" }));
    await waitFor("a handshake that never finished to be closed by the exporter", () => (closed >= 1 ? true : undefined), {
      timeoutMs: 40_000,
    });
    expect(opened).toBeGreaterThanOrEqual(1);
    expect(sampleValue(await scrape(e), "nvidia_cls_otlp_export_failures_total", { reason: "timeout" })).toBeGreaterThanOrEqual(1);
  } finally {
    hole.stop(true);
  }
}, 60_000);
