import type { ClsClient, InvalidCounts } from "../cls/client.ts";
import { fetchOrg, type OrgData } from "../cls/org.ts";
import type { Logger } from "../log.ts";
import { OutageLog } from "../outage.ts";
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

export const newStats = (): ExporterStats => ({
  refreshErrors: new Map(),
  requests: new Map(),
  refreshes: 0,
  lastSuccessAt: undefined,
  lastCalls: 0,
});

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
export function createRefresher({ initial, ...deps }: RefresherDeps): () => Promise<Snapshot> {
  let data: OrgData | undefined;
  // Kept out of `deps`, which the refresh closure holds for the life of the exporter: a snapshot
  // restored from disk is needed only until the first refresh replaces it.
  let last: Snapshot | undefined = initial;
  const logOutcome = outcomeLogger(deps.log, deps.now);
  return async () => {
    const started = deps.now();
    const callsBefore = totalRequests(deps.stats);
    deps.invalid.clear();
    const result = await fetchOrg(deps.client, data, {
      parallelism: deps.parallelism,
      timeoutMs: deps.timeoutMs,
      now: deps.now,
      signal: deps.signal,
    });
    const finished = deps.now();
    const stats = deps.stats;
    stats.refreshes++;
    stats.lastCalls = totalRequests(stats) - callsBefore;
    for (const f of result.failures) bump(stats.refreshErrors, f.endpoint, f.reason);
    if (result.failures.length === 0) stats.lastSuccessAt = finished;
    data = result.data;
    const meta = {
      orgName: deps.orgName,
      collectedAt: finished,
      durationMs: finished - started,
      failures: result.failures,
      invalidItems: [...deps.invalid],
    };
    // Nothing fetched: the last data as it was, but this refresh's failures (and no stale item counts).
    last =
      result.succeeded === 0 && last
        ? { ...last, up: false, failures: result.failures, invalidItems: meta.invalidItems }
        : buildSnapshot(result.data, meta);
    logOutcome(last, result.succeeded, meta.durationMs, stats.lastCalls);
    return last;
  };
}

/**
 * One line per refresh. A failure is logged at warn when it is new (another set of endpoint/reason
 * causes than the last one logged) and, while it repeats, once every 10 minutes with how many
 * refreshes failed alike meanwhile; the repeats are logged at debug. A recovery is logged once.
 */
function outcomeLogger(log: Logger, now: () => number): (s: Snapshot, fresh: number, durationMs: number, calls: number) => void {
  const outage = new OutageLog(now);
  return (s, fresh, durationMs, calls) => {
    const fields = { duration_ms: Math.round(durationMs), calls, servers: s.servers.length, features: s.serverFeatures.length };
    // Causes, not parts: 60 servers failing alike are one cause. Unreadable items are one too.
    const causes = new Map<string, { endpoint: string; reason: string; message: string; parts: number }>();
    for (const f of s.failures) {
      const key = `${f.endpoint} ${f.reason}`;
      const c = causes.get(key) ?? { endpoint: f.endpoint, reason: f.reason, message: f.message, parts: 0 };
      c.parts++;
      causes.set(key, c);
    }
    for (const [endpoint, count] of s.invalidItems) {
      causes.set(`${endpoint} invalid_items`, {
        endpoint,
        reason: "invalid_items",
        message: `${count} item(s) not fully understood`,
        parts: count,
      });
    }
    if (causes.size === 0) {
      const ended = outage.recover();
      log.info(
        "refresh succeeded",
        ended ? { ...fields, recovered_after_failed_refreshes: ended.failures, failing_for_s: Math.round(ended.sinceMs / 1000) } : fields,
      );
      return;
    }
    // The main cause is the most upstream one (a group list that hung makes the calls below it
    // fail too), then the one that failed the most parts; unreadable items come last.
    const [main, ...others] = [...causes.values()].sort((a, b) => rank(a) - rank(b) || b.parts - a.parts);
    const verdict = outage.fail([...causes.keys()].sort().join(","));
    const line = {
      ...fields,
      failed_parts: s.failures.length,
      fresh_parts: fresh,
      serving_last_good: s.failures.filter((f) => f.stale).length,
      endpoint: main!.endpoint,
      reason: main!.reason,
      hint: hint(main!.endpoint, main!.reason),
      error: main!.message,
      other_causes: others.length > 0 ? others.map((c) => `${c.endpoint}:${c.reason}×${c.parts}`).join(",") : undefined,
      failing_for_s: verdict.failures > 1 ? Math.round(verdict.sinceMs / 1000) : undefined,
      same_failure_unlogged: verdict.log && verdict.repeated > 0 ? verdict.repeated : undefined,
    };
    // "failed": nothing fresh, every series is its last good value; "incomplete": some parts are;
    // "succeeded" with a warning: every call worked, but some items could not be read.
    const msg = s.failures.length === 0 ? "refresh succeeded with unreadable items" : fresh === 0 ? "refresh failed" : "refresh incomplete";
    (verdict.log ? log.warn : log.debug)(msg, line);
  };
}

const UPSTREAM = ["virtual_groups", "license_servers", "license_pools", "leases"];
const rank = (c: { endpoint: string; reason: string }) => (c.reason === "invalid_items" ? 10 : 0) + (UPSTREAM.indexOf(c.endpoint) + 1 || 5);

function hint(endpoint: string, reason: string): string | undefined {
  if (reason === "401") return "CLS rejected the API key: check NVIDIA_API_KEY";
  if (reason === "403") return "CLS refused access: the key needs access type Licensing State for this org";
  if (reason === "404")
    return endpoint === "virtual_groups"
      ? "CLS does not know this org: check NVIDIA_ORG_NAME"
      : "CLS does not know this item (removed meanwhile?)";
  if (reason === "429") return "CLS is throttling requests: consider a longer CACHE_TTL or a lower PARALLELISM";
  if (reason === "timeout") return "CLS did not answer in time: see SCRAPE_TIMEOUT";
  if (reason === "network") return "CLS cannot be reached: check NVIDIA_API_BASE_URL, DNS and the network";
  if (reason === "decode") return "CLS sent something that is not the expected JSON";
  if (reason === "invalid_items") return "CLS sent items this exporter cannot fully read (an API change?): see nvidia_cls_invalid_items";
  if (/^5\d\d$/.test(reason)) return "CLS had a server error; retried within the refresh";
  return undefined;
}
