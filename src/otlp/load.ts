import type { Timers } from "../clock.ts";
import type { OtlpConfig } from "../config/index.ts";
import type { Logger } from "../log.ts";
import type { BuildInfo, MetricDef, View } from "../render/catalog.ts";
import { OtlpPusher, type Sender } from "./push.ts";
import type { OtlpStats } from "./stats.ts";

export interface OtlpDeps {
  catalog: readonly MetricDef[];
  orgName: string;
  build: BuildInfo;
  view: () => Promise<View>;
  current: () => View;
  stats: OtlpStats;
  log: Logger;
  now: () => number;
  /** When the process started: the start of the cumulative counters. */
  startedAt: number;
  timers?: Timers;
  /** Whether this exporter pushes now (see PusherOptions.active). */
  active?: () => boolean;
}

/** gRPC status 14. */
const UNAVAILABLE = 14;
const DIAG_REPEAT_MS = 10 * 60_000;

function diagToLog(log: Logger, now: () => number) {
  const lastAt = new Map<string, number>();
  const emit = (message: string) => {
    const at = now();
    if (at - (lastAt.get(message) ?? -Infinity) < DIAG_REPEAT_MS) return;
    if (lastAt.size > 100) lastAt.clear();
    lastAt.set(message, at);
    log.warn("OpenTelemetry exporter", { detail: message.replace(/\s+/g, " ").slice(0, 300) });
  };
  const ignore = () => {};
  return { error: emit, warn: emit, info: ignore, debug: ignore, verbose: ignore };
}

const pem = (text: string | undefined) => (text === undefined ? null : Buffer.from(text));

type ExporterModule = typeof import("@opentelemetry/exporter-metrics-otlp-grpc");
type GrpcModule = typeof import("@grpc/grpc-js");

/**
 * The OTLP exporter behind the Sender interface. After UNAVAILABLE grpc-js waits out its reconnect
 * backoff (up to 2 minutes) before it dials again; a fresh exporter (channel) dials at the next
 * push, so recovery after a collector restart takes one interval.
 */
function createSender(config: OtlpConfig, version: string, { OTLPMetricExporter }: ExporterModule, grpc: GrpcModule): Sender {
  const credentials = config.insecure
    ? grpc.credentials.createInsecure()
    : grpc.credentials.createSsl(pem(config.tls.ca), pem(config.tls.key), pem(config.tls.cert));
  const metadata = new grpc.Metadata();
  for (const [key, value] of config.headers) metadata.set(key, value);
  const newExporter = () =>
    new OTLPMetricExporter({
      url: config.url,
      credentials,
      metadata,
      timeoutMillis: config.timeoutMs,
      // The enum is not re-exported by the gRPC exporter; its values are these strings.
      compression: config.compression as never,
      userAgent: `nvidia-license-server-exporter/${version}`,
    });
  let exporter = newExporter();
  const replace = () => {
    const old = exporter;
    exporter = newExporter();
    old.shutdown().catch(() => undefined);
  };
  return {
    send: (metrics) =>
      new Promise((resolve, reject) =>
        exporter.export(metrics, (r) => {
          if (r.code === 0) return resolve();
          const err = r.error ?? new Error("export failed");
          if ((err as { code?: unknown }).code === UNAVAILABLE) replace();
          reject(err);
        }),
      ),
    shutdown: () => exporter.shutdown(),
  };
}

/**
 * Loads the OpenTelemetry packages (~50 ms of imports, so only when push is enabled) and builds a
 * pusher around the OTLP gRPC exporter. Data are built by hand from the catalogue and handed to
 * the exporter directly: a MeterProvider's instruments would keep their own copy of every series
 * and report series that vanished from the snapshot for the life of the process.
 */
export async function createOtlpPusher(config: OtlpConfig, deps: OtlpDeps): Promise<OtlpPusher> {
  const [exporterModule, grpc, { defaultResource, resourceFromAttributes }, { toResourceMetrics }, api] = await Promise.all([
    import("@opentelemetry/exporter-metrics-otlp-grpc"),
    import("@grpc/grpc-js"),
    import("@opentelemetry/resources"),
    import("../render/otlp.ts"),
    import("@opentelemetry/api"),
  ]);
  // The exporter reports some problems only to the OTel diagnostic logger (e.g. a collector that
  // accepted a push only in part); let its warnings through, each message at most every 10 minutes.
  api.diag.setLogger(diagToLog(deps.log, deps.now), { logLevel: api.DiagLogLevel.WARN, suppressOverrideMessage: true });
  const sender = createSender(config, deps.build.version, exporterModule, grpc);
  const resource = defaultResource().merge(resourceFromAttributes({ ...config.resource, "service.version": deps.build.version }));
  const render = {
    resource,
    scope: { name: "nvidia-license-server-exporter", version: deps.build.version },
    orgName: deps.orgName,
    startMs: deps.startedAt,
  };
  return new OtlpPusher({
    intervalMs: config.intervalMs,
    timeoutMs: config.timeoutMs,
    view: deps.view,
    current: deps.current,
    build: (view, nowMs) => toResourceMetrics(deps.catalog, view, nowMs, render),
    sender,
    stats: deps.stats,
    endpoint: config.url,
    log: deps.log,
    now: deps.now,
    timers: deps.timers,
    active: deps.active,
  });
}
