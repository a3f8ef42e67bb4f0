import type { ClsClient, InvalidCounts } from "../cls/client.ts";
import { fetchOrg, type OrgData } from "../cls/org.ts";
import type { Logger } from "../log.ts";
import { buildSnapshot } from "./build.ts";
import type { Snapshot } from "./types.ts";

/** Exporter self-knowledge that outlives one snapshot; read by the metric catalogue. */
export interface ExporterStats {
  /** `${endpoint}\n${reason}` → failed parts, summed over refreshes. */
  refreshErrors: Map<string, number>;
  /** `${endpoint}\n${status or error kind}` → HTTP attempts. */
  requests: Map<string, number>;
  refreshes: number;
  lastSuccessAt: number | undefined;
  /** CLS calls made by the most recent refresh (retries included). */
  lastCalls: number;
}

export const newStats = (): ExporterStats => ({ refreshErrors: new Map(), requests: new Map(), refreshes: 0, lastSuccessAt: undefined, lastCalls: 0 });

/** Adds one under `${endpoint}\n${detail}`, the key both counters use and the catalogue splits. */
function bump(counts: Map<string, number>, endpoint: string, detail: string): void {
  const key = `${endpoint}\n${detail}`;
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

export function countRequest(stats: ExporterStats, endpoint: string, outcome: string): void {
  bump(stats.requests, endpoint, outcome);
}

const totalRequests = (stats: ExporterStats) => [...stats.requests.values()].reduce((a, b) => a + b, 0);

export interface RefresherDeps {
  client: ClsClient;
  /** The same map the client records undecodable items in. */
  invalid: InvalidCounts;
  stats: ExporterStats;
  orgName: string;
  parallelism: number;
  timeoutMs: number;
  now: () => number;
  log: Logger;
  /** Aborted on shutdown so a hanging refresh ends. */
  signal?: AbortSignal;
  /** A snapshot restored from disk (with up = 0): served while CLS cannot be reached at all. */
  initial?: Snapshot;
}

/**
 * One refresh: fetch what can be fetched, keep the previous value of every failed part, build a
 * snapshot. When nothing at all was fetched the previous snapshot is served as it was (its data and
 * timestamp unchanged) with up = 0.
 */
export function createRefresher(deps: RefresherDeps): () => Promise<Snapshot> {
  let data: OrgData | undefined;
  let last: Snapshot | undefined = deps.initial;
  return async () => {
    const started = deps.now();
    const callsBefore = totalRequests(deps.stats);
    deps.invalid.clear();
    const result = await fetchOrg(deps.client, data, { parallelism: deps.parallelism, timeoutMs: deps.timeoutMs, now: deps.now, signal: deps.signal });
    const finished = deps.now();
    const stats = deps.stats;
    stats.refreshes++;
    stats.lastCalls = totalRequests(stats) - callsBefore;
    for (const f of result.failures) bump(stats.refreshErrors, f.endpoint, f.reason);
    if (result.failures.length === 0) stats.lastSuccessAt = finished;
    data = result.data;
    const meta = { orgName: deps.orgName, collectedAt: finished, durationMs: finished - started, failures: result.failures, invalidItems: [...deps.invalid] };
    last = result.succeeded === 0 && last ? { ...last, up: false, failures: result.failures } : buildSnapshot(result.data, meta);
    logOutcome(deps.log, last, meta.durationMs, stats.lastCalls);
    return last;
  };
}

function logOutcome(log: Logger, s: Snapshot, durationMs: number, calls: number): void {
  const fields = { duration_ms: Math.round(durationMs), calls, servers: s.servers.length, features: s.serverFeatures.length };
  if (s.failures.length === 0) {
    log.info("refresh succeeded", fields);
    return;
  }
  log.warn("refresh incomplete", { ...fields, failed_parts: s.failures.length });
  // One line per distinct cause, not per failed part: 60 servers failing alike make one line.
  const causes = new Map<string, { message: string; count: number; stale: number }>();
  for (const f of s.failures) {
    const c = causes.get(`${f.endpoint}\n${f.reason}`) ?? { message: f.message, count: 0, stale: 0 };
    c.count++;
    if (f.stale) c.stale++;
    causes.set(`${f.endpoint}\n${f.reason}`, c);
  }
  for (const [key, c] of causes) {
    const [endpoint, reason] = key.split("\n");
    log.warn(hint(reason!) ?? "CLS call failed", { endpoint, reason, parts: c.count, serving_last_good: c.stale, error: c.message });
  }
}

function hint(reason: string): string | undefined {
  if (reason === "401") return "CLS rejected the API key (401): check NVIDIA_API_KEY";
  if (reason === "403") return "CLS refused access (403): the key needs access type Licensing State for this org";
  if (reason === "404") return "CLS answered 404: check NVIDIA_ORG_NAME";
  if (reason === "429") return "CLS is throttling requests (429): consider a longer CACHE_TTL or lower PARALLELISM";
  return undefined;
}
