import { ENDPOINT_NAMES, type EndpointName } from "../cls/endpoints.ts";
import type { PartFailure } from "../cls/org.ts";
import type { RefreshErrorReason } from "../errors.ts";
import type { Logger } from "../log.ts";
import { OutageLog } from "../outage.ts";
import type { Snapshot } from "./types.ts";

/** What went wrong with one or more parts of a refresh: a refresh error reason, or items CLS sent that could not be read. */
type CauseKind = RefreshErrorReason | "invalid_items";

interface Cause {
  /** An EndpointName; a snapshot restored from disk names the endpoints of its unreadable items as stored. */
  endpoint: string;
  kind: CauseKind;
  hint: string | undefined;
  /** The log line's `reason`: the exact HTTP status when there is one (the metric counts its class), else the kind. */
  detail: string;
  message: string;
  parts: number;
}

/** What to check; a 404 says which thing CLS does not know. */
const NOT_FOUND_HINTS: Record<EndpointName, string> = {
  virtual_groups: "CLS does not know this org: check NVIDIA_ORG_NAME",
  license_servers: "CLS does not know this virtual group (removed meanwhile?)",
  license_pools: "CLS does not know this license server (removed meanwhile?)",
  leases: "CLS does not know this virtual group (removed meanwhile?)",
};

const HINTS: Record<Exclude<CauseKind, "404">, string | undefined> = {
  "401": "CLS rejected the API key: check NVIDIA_API_KEY",
  "403": "CLS refused access: the key needs access type Licensing State for this org",
  "429": "CLS is throttling requests: consider a longer CACHE_TTL or a lower PARALLELISM",
  "4xx": "CLS refused the request; not retried (its answer is in the error)",
  "5xx": "CLS had a server error; retried within the refresh",
  network: "CLS cannot be reached: check NVIDIA_API_BASE_URL, DNS and the network",
  timeout: "CLS did not answer in time: see SCRAPE_TIMEOUT",
  decode: "CLS sent something that is not the expected JSON",
  // Reserved: no call fails this way yet.
  too_large: undefined,
  invalid_items: "CLS sent items this exporter cannot fully read (an API change?): see nvidia_cls_invalid_items",
};

export const hintFor = (endpoint: EndpointName, kind: CauseKind): string | undefined =>
  kind === "404" ? NOT_FOUND_HINTS[endpoint] : HINTS[kind];

/** Causes, not parts: 60 servers failing alike are one cause. Unreadable items are one too. */
function causesOf(s: Snapshot): Map<string, Cause> {
  const causes = new Map<string, Cause>();
  for (const f of s.failures) {
    const detail = detailOf(f);
    const key = `${f.endpoint} ${detail}`;
    const c = causes.get(key) ?? {
      endpoint: f.endpoint,
      kind: f.reason,
      hint: hintFor(f.endpoint, f.reason),
      detail,
      message: f.message,
      parts: 0,
    };
    c.parts++;
    causes.set(key, c);
  }
  for (const [endpoint, count] of s.invalidItems) {
    const message = `${count} item(s) not fully understood`;
    const hint = HINTS.invalid_items;
    causes.set(`${endpoint} invalid_items`, { endpoint, kind: "invalid_items", hint, detail: "invalid_items", message, parts: count });
  }
  return causes;
}

const detailOf = (f: PartFailure): string => (f.status === undefined ? f.reason : String(f.status));

/**
 * One line per refresh. A failure is logged at warn when it is new (another set of endpoint/reason
 * causes than the last one logged) and, while it repeats, once every 10 minutes with how many
 * refreshes failed alike meanwhile; the repeats are logged at debug. A recovery is logged once.
 * Success is logged at info when it says something new (the first one, a recovery, another number
 * of servers or features), else at debug: a healthy exporter is quiet at the default level.
 */
export function outcomeLogger(log: Logger, now: () => number): (s: Snapshot, fresh: number, durationMs: number, calls: number) => void {
  const outage = new OutageLog(now);
  let lastShape: string | undefined;
  return (s, fresh, durationMs, calls) => {
    const fields = { duration_ms: Math.round(durationMs), calls, servers: s.servers.length, features: s.serverFeatures.length };
    const causes = causesOf(s);
    if (causes.size === 0) {
      const ended = outage.recover();
      const shape = `${fields.servers}/${fields.features}`;
      const news = ended !== undefined || shape !== lastShape;
      lastShape = shape;
      (news ? log.info : log.debug)(
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
      reason: main!.detail,
      hint: main!.hint,
      error: main!.message,
      other_causes: others.length > 0 ? others.map((c) => `${c.endpoint}:${c.detail}×${c.parts}`).join(",") : undefined,
      failing_for_s: verdict.failures > 1 ? Math.round(verdict.sinceMs / 1000) : undefined,
      same_failure_unlogged: verdict.log && verdict.repeated > 0 ? verdict.repeated : undefined,
    };
    // "failed": nothing fresh, every series is its last good value; "incomplete": some parts are;
    // "succeeded" with a warning: every call worked, but some items could not be read.
    const msg = s.failures.length === 0 ? "refresh succeeded with unreadable items" : fresh === 0 ? "refresh failed" : "refresh incomplete";
    (verdict.log ? log.warn : log.debug)(msg, line);
  };
}

const UPSTREAM: readonly string[] = ENDPOINT_NAMES;
const rank = (c: Cause) => (c.kind === "invalid_items" ? UPSTREAM.length : 0) + UPSTREAM.indexOf(c.endpoint);
