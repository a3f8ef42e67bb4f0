import { ENDPOINT_NAMES, type EndpointName } from "../cls/endpoints.ts";
import type { PartFailure } from "../cls/org.ts";
import type { RefreshErrorReason } from "../errors.ts";
import type { Snapshot } from "./types.ts";

/*
 * Why a refresh failed, cause by cause, with what a person can do about each: the refresh's log
 * line and the health view (/healthz, the status page) both read them from here.
 */

/** What went wrong with one or more parts of a refresh: a refresh error reason, or items CLS sent that could not be read. */
export type CauseKind = RefreshErrorReason | "invalid_items";

export interface Cause {
  /** An EndpointName; a snapshot restored from disk names the endpoints of its unreadable items as stored. */
  endpoint: string;
  kind: CauseKind;
  /** The exact HTTP status, when CLS answered with one (`kind` holds its class). */
  status: number | undefined;
  hint: string | undefined;
  /** The log line's `reason`: the exact HTTP status when there is one (the metric counts its class), else the kind. */
  detail: string;
  /** The first failed part's message. */
  message: string;
  /** Parts that failed this way (for unreadable items: the items). */
  parts: number;
  /** Of those, the parts whose previous value is served instead. */
  servingLastGood: number;
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
  too_large: "CLS sent more than the configured bounds allow (CLS_MAX_* settings); not retried",
  invalid_items: "CLS sent items this exporter cannot fully read (an API change?): see nvidia_cls_invalid_items",
};

/** What the exporter knows that changes a hint: when a changed NVIDIA_API_KEY_FILE was last re-read. */
export interface CauseNotes {
  keyRereadAt?: number | undefined;
}

/** After a rotation a 401 is about the new key: the hint says it was used, so the file's content is what to check. */
const rotatedKeyHint = (at: number) =>
  `CLS rejected the API key re-read from NVIDIA_API_KEY_FILE at ${new Date(at).toISOString()} (the file changed): check the key in the file`;

export const hintFor = (endpoint: EndpointName, kind: CauseKind, notes: CauseNotes = {}): string | undefined => {
  if (kind === "401" && notes.keyRereadAt !== undefined) return rotatedKeyHint(notes.keyRereadAt);
  return kind === "404" ? NOT_FOUND_HINTS[endpoint] : HINTS[kind];
};

/** What each reason an item was invalid for did to it (src/cls/schemas.ts); never CLS's own text, which may be anything. */
export const REASON_TEXT: Readonly<Record<string, string>> = {
  wrong_type: "with a field of the wrong type (read as absent)",
  too_long: "with a string over CLS_MAX_STRING_LENGTH (a name cut, an item with such an id dropped)",
  out_of_range: "with a quantity negative, non-finite or above 1e9 (read as absent)",
  bad_date: 'with a date in no shape the exporter reads (read as absent; README "Entitlement dates and overage")',
  no_id: "without a readable id (dropped)",
};

/**
 * Causes, not parts: 60 servers failing alike are one cause; unreadable items are one too. Keyed by
 * `endpoint detail`; in order, the most upstream first (a group list that hung makes the calls
 * below it fail too), then the one that failed the most parts; unreadable items come last.
 */
export function causesOf(s: Snapshot, notes: CauseNotes = {}): Map<string, Cause> {
  const causes = new Map<string, Cause>();
  for (const f of s.failures) {
    const detail = detailOf(f);
    const key = `${f.endpoint} ${detail}`;
    const c = causes.get(key) ?? {
      endpoint: f.endpoint,
      kind: f.reason,
      status: f.status,
      hint: hintFor(f.endpoint, f.reason, notes),
      detail,
      message: f.message,
      parts: 0,
      servingLastGood: 0,
    };
    c.parts++;
    if (f.stale) c.servingLastGood++;
    causes.set(key, c);
  }
  for (const [endpoint, count] of s.invalidItems) {
    const why = (s.invalidReasons ?? []).filter(([e]) => e === endpoint).map(([, reason, n]) => `${n} ${REASON_TEXT[reason] ?? reason}`);
    const message = `${count} item(s) not fully understood${why.length > 0 ? `: ${why.join(", ")}` : ""}`;
    const hint = HINTS.invalid_items;
    causes.set(`${endpoint} invalid_items`, {
      endpoint,
      kind: "invalid_items",
      status: undefined,
      hint,
      detail: "invalid_items",
      message,
      parts: count,
      servingLastGood: 0,
    });
  }
  return new Map([...causes].sort(([, a], [, b]) => rank(a) - rank(b) || b.parts - a.parts));
}

const UPSTREAM: readonly string[] = ENDPOINT_NAMES;
const rank = (c: Cause) => (c.kind === "invalid_items" ? UPSTREAM.length : 0) + UPSTREAM.indexOf(c.endpoint);

const detailOf = (f: PartFailure): string => (f.status === undefined ? f.reason : String(f.status));
