import type { ClsClient, InvalidCounts, InvalidReasons } from "../cls/client.ts";
import type { EndpointName } from "../cls/endpoints.ts";
import { fetchOrg, type OrgData } from "../cls/org.ts";
import type { Logger } from "../log.ts";
import { buildSnapshot } from "./build.ts";
import type { CauseNotes } from "./causes.ts";
import { outcomeLogger } from "./refresh-log.ts";
import type { Snapshot } from "./types.ts";

/** Exporter self-knowledge that outlives one snapshot; read by the metric catalogue. */
export interface ExporterStats {
  /** statKey(endpoint, reason) → failed parts, summed over refreshes. */
  refreshErrors: Map<string, number>;
  /** statKey(endpoint, status or error kind) → HTTP attempts. */
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

/** The key both counters use and the catalogue reads. */
export const statKey = (endpoint: EndpointName, detail: string): string => `${endpoint}\n${detail}`;

function bump(counts: Map<string, number>, endpoint: EndpointName, detail: string): void {
  const key = statKey(endpoint, detail);
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

export function countRequest(stats: ExporterStats, endpoint: EndpointName, outcome: string): void {
  bump(stats.requests, endpoint, outcome);
}

const totalRequests = (stats: ExporterStats) => [...stats.requests.values()].reduce((a, b) => a + b, 0);

export interface RefresherDeps {
  client: ClsClient;
  /** The same map the client records undecodable items in. */
  invalid: InvalidCounts;
  /** The same map the client records why items were invalid in, when it does. */
  invalidReasons?: InvalidReasons;
  stats: ExporterStats;
  parallelism: number;
  timeoutMs: number;
  now: () => number;
  log: Logger;
  /** Aborted on shutdown so a hanging refresh ends. */
  signal?: AbortSignal;
  /** A snapshot restored from disk (with up = 0): served while CLS cannot be reached at all. */
  initial?: Snapshot;
  /**
   * The snapshot served now, re-served when nothing at all was fetched; absent: the last one this
   * refresher made (or `initial`). A replica that led no refresh yet serves its leader's snapshots,
   * newer than anything it made.
   */
  previous?: () => Snapshot | undefined;
  /** What changes the hints of the outcome line (a re-read key file). */
  causeNotes?: () => CauseNotes;
}

/** The reasons as the snapshot keeps them: [endpoint, reason, items]. */
const reasonRows = (reasons: InvalidReasons | undefined): [string, string, number][] =>
  [...(reasons ?? [])].flatMap(([endpoint, byReason]) =>
    [...byReason].map(([reason, n]): [string, string, number] => [endpoint, reason, n]),
  );

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
  const logOutcome = outcomeLogger(deps.log, deps.now, deps.causeNotes);
  return async () => {
    const started = deps.now();
    const callsBefore = totalRequests(deps.stats);
    deps.invalid.clear();
    deps.invalidReasons?.clear();
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
      collectedAt: finished,
      durationMs: finished - started,
      failures: result.failures,
      invalidItems: [...deps.invalid],
      invalidReasons: reasonRows(deps.invalidReasons),
    };
    // Nothing fetched: the last data as it was, but this refresh's failures (and no stale item counts).
    const served = deps.previous?.() ?? last;
    const next =
      result.succeeded === 0 && served
        ? {
            ...served,
            up: false,
            failures: result.failures,
            invalidItems: meta.invalidItems,
            invalidReasons: meta.invalidReasons,
            refreshedAt: finished,
          }
        : buildSnapshot(result.data, meta);
    last = stats.lastSuccessAt === undefined ? next : { ...next, lastSuccessAt: stats.lastSuccessAt };
    logOutcome(last, result.succeeded, meta.durationMs, stats.lastCalls);
    return last;
  };
}
