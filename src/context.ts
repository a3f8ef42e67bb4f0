import type { Timers } from "./clock.ts";
import { abortableSleep } from "./clock.ts";
import { byteBudgetFor, createByteBudget } from "./cls/budget.ts";
import { createClient, type InvalidCounts, type InvalidReasons } from "./cls/client.ts";
import { type FieldSink, unreadFieldLog } from "./cls/fields.ts";
import { createHttp, DEFAULT_HTTP_OPTIONS, type HttpDeps } from "./cls/http.ts";
import { redactingClient } from "./cls/redact.ts";
import type { Config } from "./config/index.ts";
import type { SecretFs } from "./config/secrets.ts";
import { type Health, healthOf } from "./health.ts";
import { createApp } from "./http/app.ts";
import { createLiveCredentials } from "./live-credentials.ts";
import type { Logger, LogStats } from "./log.ts";
import type { OtlpPusher } from "./otlp/push.ts";
import { newOtlpStats } from "./otlp/stats.ts";
import { type BuildInfo, CATALOG, LIVE_CATALOG, type View } from "./render/catalog.ts";
import { createProcessMetrics } from "./render/process.ts";
import { type Format, PrometheusRenderer, renderCatalog } from "./render/prometheus.ts";
import { SnapshotCache } from "./snapshot/cache.ts";
import { countRequest, createRefresher, newStats } from "./snapshot/refresher.ts";
import { leaderSilentAfterMs, sourcedRefresh } from "./snapshot/replica.ts";
import type { Snapshot } from "./snapshot/types.ts";
import type { HistoryBackend } from "./store/index.ts";

export interface ContextDeps {
  fetch: HttpDeps["fetch"];
  now: () => number;
  log: Logger;
  build: BuildInfo;
  random?: () => number;
  sleep?: HttpDeps["sleep"];
  timers?: Timers;
  /** Called when the exporter is idle after a scrape (the composition root passes releaseMemory). */
  releaseMemory?: () => void;
  /** Called after a CLS answer was refused as too large (the composition root passes a full collection). */
  collectGarbage?: () => void;
  /** Opened by the composition root; absent in tests that do not need it. */
  history?: HistoryBackend;
  /** The last stored snapshot, read by the composition root: served (with up 0) until a refresh succeeds. */
  restored?: Snapshot;
  /** Reads the secret files again when they change, and the web configuration on reload(); absent: read once, at start. */
  secretFs?: SecretFs;
  /** The logger's dropped-line count, kept by the composition root's log writer; 0 when not given. */
  logStats?: LogStats;
  /** Shown at the top of the status page (the demo says its history is simulated). */
  pageBanner?: string;
  /** Hears the field names CLS sends; by default each one the exporter does not read is logged once (unreadFieldLog). */
  fields?: FieldSink;
  /** Hears every CLS attempt too (the --check diagnosis); the self-metrics count them either way. */
  onAttempt?: HttpDeps["onAttempt"];
}

/** A single CLS call may use half the refresh budget, so one retry always fits; never more than 10 s. */
const requestTimeoutFor = (scrapeTimeoutMs: number) => Math.min(10_000, Math.max(50, Math.floor(scrapeTimeoutMs / 2)));

/**
 * Builds the object graph from what the composition root (src/start.ts) opened and read. Nothing
 * runs until start(): no timer, no call, no read; tests pass fakes for fetch, clock and timers.
 */
export function createExporter(config: Config, { restored: stored, ...deps }: ContextDeps) {
  const logging = deps.logStats ?? { dropped: 0 };
  const stats = newStats();
  const invalid: InvalidCounts = new Map();
  const invalidReasons: InvalidReasons = new Map();
  const shutdown = new AbortController();
  const credentials = createLiveCredentials(config, { fs: deps.secretFs, now: deps.now, log: deps.log });
  // One budget for every CLS read in flight: PARALLELISM oversize answers hold one bound between them, not one each.
  const bytes = createByteBudget(byteBudgetFor(config.clsLimits), deps.collectGarbage);
  const http = createHttp(
    {
      ...DEFAULT_HTTP_OPTIONS,
      baseUrl: config.baseUrl,
      apiKey: credentials.apiKey,
      userAgent: `nvidia-license-server-exporter/${deps.build.version}`,
      requestTimeoutMs: requestTimeoutFor(config.scrapeTimeoutMs),
      limits: config.clsLimits,
      bytes,
    },
    {
      fetch: deps.fetch,
      now: deps.now,
      random: deps.random ?? Math.random,
      sleep: deps.sleep ?? abortableSleep,
      onAttempt: (endpoint, outcome, ms, retry) => {
        countRequest(stats, endpoint, outcome);
        deps.onAttempt?.(endpoint, outcome, ms, retry);
      },
    },
  );
  // Every failure message is redacted on its way out of the client: it reaches logs, /healthz and the database.
  const client = redactingClient(
    createClient(http, {
      orgName: config.orgName,
      serviceInstanceId: config.serviceInstanceId,
      invalid,
      invalidReasons,
      limits: config.clsLimits,
      bytes,
      fields: deps.fields ?? unreadFieldLog(deps.log),
    }),
    credentials.apiKey,
  );
  const history = deps.history;
  // A snapshot loaded from disk is old news: served with up 0 until a refresh succeeds.
  // No closure below holds it: once a refresh replaces it, it can be collected.
  const restored = stored && { ...stored, up: false };
  let servingRestored = restored !== undefined;
  const fromCls = createRefresher({
    client,
    invalid,
    invalidReasons,
    stats,
    parallelism: config.parallelism,
    timeoutMs: config.scrapeTimeoutMs,
    now: deps.now,
    log: deps.log,
    signal: shutdown.signal,
    initial: restored,
    previous: () => cache.current(),
    causeNotes: () => ({ keyRereadAt: credentials.keyRereadAt() }),
  });
  // Only what this exporter fetched from CLS is written: a replica's snapshots are its leader's, already stored.
  const cls = async () => {
    const s = await fromCls();
    history?.offer(s);
    return s;
  };
  const source = history?.source;
  const replica =
    source &&
    sourcedRefresh({
      cls,
      source,
      // A snapshot restored at start is not the leader's latest: any stored one replaces it.
      current: () => (servingRestored ? undefined : cache.current()),
      now: deps.now,
      silentAfterMs: leaderSilentAfterMs(config.cacheTtlMs, config.scrapeTimeoutMs),
      log: deps.log,
    });
  const cache = new SnapshotCache({
    ttlMs: config.cacheTtlMs,
    scrapeTimeoutMs: config.scrapeTimeoutMs,
    refresh: replica?.refresh ?? cls,
    now: deps.now,
    timers: deps.timers,
    onRefreshError: (err) => deps.log.error("refresh crashed; serving the last snapshot", { error: (err as Error).message }),
    onSnapshot: () => {
      servingRestored = false;
    },
  });
  source?.onAnnounce(() => {
    if (source.callsCls()) return;
    replica?.notified();
    // A refresh in flight may have read before this write: then one more.
    void cache.refresh().then(() => {
      if (replica?.behind()) void cache.refresh();
    });
  });
  if (restored) {
    cache.seed(restored);
    deps.log.info("serving the last stored snapshot until CLS answers", { collected_at: new Date(restored.collectedAt).toISOString() });
  }
  const otlpStats = config.otlp && newOtlpStats();
  /** A replica serving its leader's snapshots shows the leader's last success, not its own (it calls CLS only when cut off). */
  const statsFor = (snapshot: Snapshot | undefined) =>
    source && !source.callsCls() ? { ...stats, lastSuccessAt: snapshot?.lastSuccessAt } : stats;
  const current = (): View => ({
    snapshot: cache.current(),
    stats: statsFor(cache.current()),
    leader: source?.leads(),
    build: deps.build,
    history: history && { stats: history.stats, available: !history.unavailable() },
    otlp: otlpStats,
    logging,
  });
  const health = (): Health => {
    const snapshot = cache.current();
    return healthOf({
      now: deps.now(),
      snapshot,
      restored: servingRestored && snapshot !== undefined,
      lastSuccessAt: statsFor(snapshot).lastSuccessAt,
      history: history && { failure: history.unavailable(), lastWriteAt: history.stats.lastWriteAt },
      otlp: otlpStats,
      causeNotes: { keyRereadAt: credentials.keyRereadAt() },
    });
  };
  /** What scrapes and pushes read: a stale cache starts (or joins) the one refresh. */
  const view = async (): Promise<View> => {
    const snapshot = await cache.get();
    return { ...current(), snapshot, stats: statsFor(snapshot) };
  };
  const startedAt = deps.now();
  const processMetrics = createProcessMetrics(startedAt);
  const live = async (format: Format) =>
    (await processMetrics(format)) + (await renderCatalog(LIVE_CATALOG, current(), config.orgName, format));
  const renderer = new PrometheusRenderer({
    catalog: CATALOG,
    orgName: config.orgName,
    live,
    liveTtlMs: 1_000,
    now: deps.now,
    timers: deps.timers,
    onIdle: () => {
      history?.releaseMemory();
      deps.releaseMemory?.();
    },
  });
  const app = createApp({
    orgName: config.orgName,
    metricsPath: config.metricsPath,
    view,
    peek: () => cache.peek(),
    current,
    health,
    renderer,
    history,
    // The report reads the stored history with the snapshot served now (overage, end dates).
    report: history && ((q, signal) => history.report(q, cache.current(), signal)),
    now: deps.now,
    log: deps.log,
    gate: credentials.gate,
    headers: config.web?.headers,
    banner: deps.pageBanner,
  });
  let pusher: Promise<OtlpPusher | undefined> | undefined;
  const startPush = async (otlp: NonNullable<Config["otlp"]>, otlpStats: NonNullable<View["otlp"]>) => {
    try {
      // Imported here, not at the top: the OpenTelemetry packages load only when push is enabled.
      const { createOtlpPusher } = await import("./otlp/load.ts");
      const p = await createOtlpPusher(otlp, {
        catalog: [...CATALOG, ...LIVE_CATALOG],
        orgName: config.orgName,
        build: deps.build,
        view,
        current,
        stats: otlpStats,
        log: deps.log,
        now: deps.now,
        startedAt,
        timers: deps.timers,
        // Pushed by the exporter that calls CLS: one stream per org, not one per replica.
        active: () => !source || source.callsCls(),
      });
      deps.log.info("pushing metrics over OTLP gRPC", {
        endpoint: otlp.url,
        interval_s: otlp.intervalMs / 1000,
        tls: !otlp.insecure,
        compression: otlp.compression,
      });
      p.start();
      return p;
    } catch (err) {
      deps.log.error("OTLP push cannot start; /metrics is unaffected", { error: (err as Error).message });
      return undefined;
    }
  };
  return {
    app,
    cache,
    stats,
    health,
    /** SIGHUP: what can change without rebinding the port (secret files, basic-auth users). */
    reload: credentials.reload,
    start: () => {
      cache.start();
      history?.startMaintenance();
      if (config.otlp && otlpStats) pusher = startPush(config.otlp, otlpStats);
    },
    /** Stops the background refresh (aborting one in flight), then makes the final OTLP push. */
    stop: async () => {
      cache.stop();
      shutdown.abort();
      await cache.settled();
      await (await pusher)?.stop();
    },
  };
}

export type Exporter = ReturnType<typeof createExporter>;
