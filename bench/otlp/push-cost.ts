/**
 * Part 1 of bench/otlp.ts: what one push of the large org costs the event loop, in-process. The
 * real exporter graph holds the snapshot; pushes go to the collector in its own process, so that
 * decoding them does not share our event loop.
 */

import { gzipSync } from "node:zlib";
import * as grpc from "@grpc/grpc-js";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-grpc";
// A dependency of the gRPC exporter (not our own): the serializer export() calls, timed on its own here.
import { ProtobufMetricsSerializer } from "@opentelemetry/otlp-transformer";
import { defaultResource, resourceFromAttributes } from "@opentelemetry/resources";
import type { ResourceMetrics } from "@opentelemetry/sdk-metrics";
import type { OtlpConfig } from "../../src/config/index.ts";
import { createLogger } from "../../src/log.ts";
import { createOtlpPusher } from "../../src/otlp/load.ts";
import { newOtlpStats } from "../../src/otlp/stats.ts";
import { CATALOG, LIVE_CATALOG, type View } from "../../src/render/catalog.ts";
import { toResourceMetrics } from "../../src/render/otlp.ts";
import { startSimulator } from "../../src/sim/index.ts";
import { Collector } from "../lib/collector.ts";
import { BENCH_BUILD, benchConfig, exporterGraph } from "../lib/exporter-graph.ts";
import { progressOf } from "../lib/report.ts";
import { API_KEY, largeOrg } from "../lib/simulator.ts";
import { lagProbe } from "./lag-probe.ts";
import { WARMUP_PUSHES } from "./options.ts";

const CATALOGUE = [...CATALOG, ...LIVE_CATALOG];
const progress = progressOf("otlp");

/** Milliseconds of each step of one push. */
export interface PushSample {
  build: number;
  serialize: number;
  exportSync: number;
  exportAck: number;
  pusherSync: number;
  pusherAck: number;
  lag: number;
}

export interface PushCase {
  compression: OtlpConfig["compression"];
  samples: PushSample[];
  points: number;
  families: number;
  bytes: number;
  gzipBytes: number;
}

type Graph = Awaited<ReturnType<typeof inProcessGraph>>;

/** The large org in the real object graph; its own pusher is left off so nothing pushes behind our back. */
async function inProcessGraph(simUrl: string, orgName: string, receiverPort: number) {
  const env = (compression: string) => ({
    NVIDIA_API_KEY: API_KEY,
    NVIDIA_ORG_NAME: orgName,
    NVIDIA_API_BASE_URL: simUrl,
    CACHE_TTL: "1h",
    OTEL_ENABLED: "true",
    OTEL_ENDPOINT: `127.0.0.1:${receiverPort}`,
    OTEL_EXPORTER_OTLP_COMPRESSION: compression,
  });
  const logLines: string[] = [];
  const log = createLogger({ write: (line) => logLines.push(line), level: "warn" });
  const exporter = exporterGraph({ ...benchConfig(env("none")), otlp: undefined }, log);
  exporter.start();
  const snapshot = await exporter.cache.get();
  if (!snapshot?.up) throw new Error("the in-process exporter did not get a snapshot from the simulator");
  const view: View = { snapshot, stats: exporter.stats, build: BENCH_BUILD, otlp: newOtlpStats() };
  return { exporter, view, log, logLines, otlpConfig: (c: string) => benchConfig(env(c)).otlp! };
}

/** An OTLPMetricExporter built as src/otlp/load.ts builds it (plaintext here). */
function ownExporter(otlp: OtlpConfig): OTLPMetricExporter {
  return new OTLPMetricExporter({
    url: otlp.url,
    credentials: grpc.credentials.createInsecure(),
    metadata: new grpc.Metadata(),
    timeoutMillis: otlp.timeoutMs,
    compression: otlp.compression as never,
    userAgent: `nvidia-license-server-exporter/${BENCH_BUILD.version}`,
  });
}

/** Resolves with the export's result; `sync` is how long export() itself held the thread. */
function timedExport(exporter: OTLPMetricExporter, metrics: ResourceMetrics): { sync: number; done: Promise<void> } {
  const { promise, resolve, reject } = Promise.withResolvers<void>();
  const t0 = performance.now();
  exporter.export(metrics, (r) => (r.code === 0 ? resolve() : reject(r.error ?? new Error("export failed"))));
  return { sync: performance.now() - t0, done: promise };
}

async function measurePushes(graph: Graph, compression: OtlpConfig["compression"], pushes: number): Promise<PushCase> {
  const otlp = graph.otlpConfig(compression);
  const stats = graph.view.otlp!;
  const startedAt = Date.now();
  const orgName = otlp.resource["nvidia.cls.org.name"]!;
  const pusher = await createOtlpPusher(otlp, {
    catalog: CATALOGUE,
    orgName,
    build: BENCH_BUILD,
    view: async () => graph.view,
    current: () => graph.view,
    stats,
    log: graph.log,
    now: Date.now,
    startedAt,
  });
  const own = ownExporter(otlp);
  const render = {
    resource: defaultResource().merge(resourceFromAttributes({ ...otlp.resource, "service.version": BENCH_BUILD.version })),
    scope: { name: "nvidia-license-server-exporter", version: BENCH_BUILD.version },
    orgName,
    startMs: startedAt,
  };
  const probe = lagProbe();
  const samples: PushSample[] = [];
  let metrics!: ResourceMetrics;
  for (let i = 0; i < WARMUP_PUSHES + pushes; i++) {
    const s = await onePush(graph.view, render, own, pusher, probe);
    metrics = s.metrics;
    if (i >= WARMUP_PUSHES) samples.push(s.sample);
  }
  probe.stop();
  if (stats.failures.size > 0 || stats.lastSuccessAt === undefined)
    throw new Error(`the pusher's pushes failed: ${JSON.stringify([...stats.failures])}`);
  await Promise.all([pusher.stop(), own.shutdown()]);
  const body = ProtobufMetricsSerializer.serializeRequest(metrics)!;
  const points = metrics.scopeMetrics[0]!.metrics.reduce((n, m) => n + m.dataPoints.length, 0);
  return {
    compression,
    samples,
    points,
    families: metrics.scopeMetrics[0]!.metrics.length,
    bytes: body.byteLength,
    gzipBytes: gzipSync(body).byteLength,
  };
}

/** One round: the pieces on our own exporter, then the real pusher under the lag probe. */
async function onePush(
  view: View,
  render: Parameters<typeof toResourceMetrics>[3],
  own: OTLPMetricExporter,
  pusher: Awaited<ReturnType<typeof createOtlpPusher>>,
  probe: ReturnType<typeof lagProbe>,
) {
  await Bun.sleep(20);
  const t0 = performance.now();
  const metrics = toResourceMetrics(CATALOGUE, view, Date.now(), render);
  const t1 = performance.now();
  ProtobufMetricsSerializer.serializeRequest(metrics);
  const t2 = performance.now();
  const exp = timedExport(own, metrics);
  await exp.done;
  const exportAck = performance.now() - t2;
  // The real push path, as the timer calls it: build + send, synchronous up to its first await.
  await Bun.sleep(20);
  const before = view.otlp!.exports;
  probe.reset();
  const p0 = performance.now();
  const pushing = pusher.push(view);
  const pusherSync = performance.now() - p0;
  await pushing;
  const pusherAck = performance.now() - p0;
  // Work that runs after the acknowledgement (response handling, GC) still counts as this push's stall.
  await Bun.sleep(20);
  if (view.otlp!.exports !== before + 1) throw new Error("the pusher did not export");
  return {
    metrics,
    sample: { build: t1 - t0, serialize: t2 - t1, exportSync: exp.sync, exportAck, pusherSync, pusherAck, lag: probe.worst() },
  };
}

/** Part 1, compression none then gzip; `lifetimeS` bounds the collector process. */
export async function pushCost(pushes: number, lifetimeS: number): Promise<{ cases: PushCase[]; logLines: string[] }> {
  const sim = startSimulator({ scenario: largeOrg(), apiKey: API_KEY });
  const collector = new Collector(lifetimeS);
  await collector.start();
  const graph = await inProcessGraph(sim.url, sim.orgName, collector.port);
  const cases: PushCase[] = [];
  for (const compression of ["none", "gzip"] as const) {
    progress(`push cost, compression ${compression}: ${WARMUP_PUSHES} + ${pushes} pushes`);
    cases.push(await measurePushes(graph, compression, pushes));
  }
  await graph.exporter.stop();
  await sim.stop();
  await collector.stop();
  return { cases, logLines: graph.logLines };
}
