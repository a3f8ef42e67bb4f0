import { createClient } from "./cls/client.ts";
import { abortableSleep, createHttp, DEFAULT_HTTP_OPTIONS, type HttpDeps } from "./cls/http.ts";
import type { Config } from "./config.ts";
import { createApp } from "./http/app.ts";
import type { Logger } from "./log.ts";
import { type BuildInfo, CATALOG, type View } from "./render/catalog.ts";
import { createProcessMetrics } from "./render/process.ts";
import { PrometheusRenderer } from "./render/prometheus.ts";
import { SnapshotCache, type Timers } from "./snapshot/cache.ts";
import { countRequest, createRefresher, newStats } from "./snapshot/refresher.ts";

export interface ContextDeps {
  fetch: HttpDeps["fetch"];
  now: () => number;
  log: Logger;
  build: BuildInfo;
  random?: () => number;
  sleep?: HttpDeps["sleep"];
  timers?: Timers;
}

/** A single CLS call may use half the refresh budget, so one retry always fits; never more than 10 s. */
const requestTimeoutFor = (scrapeTimeoutMs: number) => Math.min(10_000, Math.max(50, Math.floor(scrapeTimeoutMs / 2)));

/** Builds the object graph. No side effects until start(): tests pass fakes for fetch, clock and timers. */
export function createExporter(config: Config, deps: ContextDeps) {
  const stats = newStats();
  const invalid = new Map<string, number>();
  const shutdown = new AbortController();
  const http = createHttp(
    { ...DEFAULT_HTTP_OPTIONS, baseUrl: config.baseUrl, apiKey: config.apiKey, userAgent: `nvidia-license-server-exporter/${deps.build.version}`, requestTimeoutMs: requestTimeoutFor(config.scrapeTimeoutMs) },
    { fetch: deps.fetch, now: deps.now, random: deps.random ?? Math.random, sleep: deps.sleep ?? abortableSleep, onAttempt: (endpoint, outcome) => countRequest(stats, endpoint, outcome) },
  );
  const client = createClient(http, { orgName: config.orgName, serviceInstanceId: config.serviceInstanceId, invalid });
  const refresh = createRefresher({ client, invalid, stats, orgName: config.orgName, parallelism: config.parallelism, timeoutMs: config.scrapeTimeoutMs, now: deps.now, log: deps.log, signal: shutdown.signal });
  const cache = new SnapshotCache({
    ttlMs: config.cacheTtlMs,
    scrapeTimeoutMs: config.scrapeTimeoutMs,
    refresh,
    now: deps.now,
    timers: deps.timers,
    onRefreshError: (err) => deps.log.error("refresh crashed; serving the last snapshot", { error: (err as Error).message }),
  });
  const renderer = new PrometheusRenderer({ catalog: CATALOG, orgName: config.orgName, live: createProcessMetrics(deps.now()), liveTtlMs: 1_000, now: deps.now });
  const current = (): View => ({ snapshot: cache.current(), stats, build: deps.build });
  const app = createApp({
    orgName: config.orgName,
    metricsPath: config.metricsPath,
    view: async () => ({ ...current(), snapshot: await cache.get() }),
    peek: () => cache.peek(),
    current,
    renderer,
    now: deps.now,
    log: deps.log,
  });
  return {
    app,
    cache,
    stats,
    start: () => cache.start(),
    /** Stops the background refresh and aborts one in flight. */
    stop: async () => {
      cache.stop();
      shutdown.abort();
      await cache.settled();
    },
  };
}

export type Exporter = ReturnType<typeof createExporter>;
