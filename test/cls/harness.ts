import { abortableSleep } from "../../src/clock.ts";
import { createClient, type InvalidCounts } from "../../src/cls/client.ts";
import { createHttp, DEFAULT_HTTP_OPTIONS, type HttpOptions } from "../../src/cls/http.ts";
import type { Simulator } from "../../src/sim/server.ts";
import { countRequest, type ExporterStats } from "../../src/snapshot/refresher.ts";

export const KEY = "test-key-5f1e0c9a-do-not-leak";

/** A client against a running simulator with real fetch and timers, but short backoff. */
export function clientFor(sim: Simulator, opts: Partial<HttpOptions> & { serviceInstanceId?: string; stats?: ExporterStats } = {}) {
  const attempts: string[] = [];
  const invalid: InvalidCounts = new Map();
  const http = createHttp(
    {
      ...DEFAULT_HTTP_OPTIONS,
      baseUrl: sim.url,
      apiKey: () => KEY,
      userAgent: "exporter-test/1",
      requestTimeoutMs: 2_000,
      backoffBaseMs: 5,
      backoffMaxMs: 20,
      ...opts,
    },
    {
      fetch: (u, i) => fetch(u, i),
      sleep: abortableSleep,
      random: Math.random,
      now: Date.now,
      onAttempt: (e, o) => {
        attempts.push(`${e}:${o}`);
        if (opts.stats) countRequest(opts.stats, e, o);
      },
    },
  );
  const client = createClient(http, { orgName: sim.orgName, serviceInstanceId: opts.serviceInstanceId, invalid, limits: opts.limits });
  return { client, attempts, invalid };
}

/** A refresh budget of `ms` from now. */
export const budget = (ms = 10_000) => ({ signal: AbortSignal.timeout(ms), deadline: Date.now() + ms });
