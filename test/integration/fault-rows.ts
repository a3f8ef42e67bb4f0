/**
 * The fault matrix: one row per way CLS or the network can misbehave, and what users get. The suite
 * (faults.test.ts) injects each row into the simulator and checks every column against the running
 * exporter; docs/faults.md is rendered from these rows (`bun run scripts/fault-table.ts --write`),
 * and the suite fails when the file differs, so the document cannot drift from what is tested.
 *
 * The org is the simulator's lic-example: 2 virtual groups (4101, 4102), 3 license servers, 3 pools,
 * 3 service instances: 9 CLS calls per healthy refresh. The exporter runs with SCRAPE_TIMEOUT 2s
 * (so one call may take 1 s), CACHE_TTL 1s, CLS_MAX_STRING_LENGTH 64, CLS_MAX_ITEMS 200 and CLS_MAX_PAGES 4.
 */
import type { FaultRuleInput } from "../../src/sim/faults.ts";

/** Series families checked for freshness, each fed by one endpoint. */
export type Family = "leases" | "pools" | "entitlements";
/**
 * fresh: equal to the simulator's new truth. stale: equal to the values before the fault (the
 * last good ones). `stale 4102`: stale for that virtual group only, fresh for the rest.
 * absent: no series. skip: not compared (the drifted item makes the truth differ).
 */
export type Freshness = "fresh" | "stale" | "absent" | "skip" | { staleVg: number };

export interface FaultRow {
  id: string;
  fault: string;
  /** How the suite injects it (documentation). */
  injected: string;
  rules?: FaultRuleInput[];
  /** Network-level faults made by the suite's TCP forwarder in front of the simulator. */
  proxy?: "refuse";
  up: 0 | 1;
  /** Families not named are fresh. */
  families?: Partial<Record<Family, Freshness>>;
  /**
   * The `{endpoint, reason}` of nvidia_cls_refresh_errors_total (or nvidia_cls_invalid_items{endpoint}) that must grow;
   * its reason is the status's class (5xx) where the log line names the exact status.
   */
  metric?: { endpoint: string; reason: string };
  /** The refresh outcome line. */
  log: { msg: string; endpoint?: string; reason?: string; hint?: string /** A part of its `error`. */; error?: string };
  /** Most CLS calls one refresh may make under this fault (a healthy one makes 9). */
  maxCalls: number;
  /** A call stays open through the refresh: the scrape must be answered while it is. */
  hangs?: boolean;
  /** What the user sees, in words (documentation). */
  outcome: string;
}

/** CLS_MAX_RESPONSE_BYTES and CLS_MAX_INFLATED_BYTES of the suite's exporter: far above any answer of its org. */
export const TEST_BYTE_LIMIT = "256KiB";
const TOO_LARGE_HINT = "CLS sent more than the configured bounds allow (CLS_MAX_* settings); not retried";
const ALL_STALE = { leases: "stale", pools: "stale", entitlements: "stale" } as const;
const HTML = "<html><body><h1>502 Bad Gateway</h1></body></html>";

export const FAULT_ROWS: FaultRow[] = [
  {
    id: "401",
    fault: "401 Unauthorized",
    injected: "virtual_groups answers 401",
    rules: [{ endpoint: "virtual_groups", status: 401 }],
    up: 0,
    families: ALL_STALE,
    metric: { endpoint: "virtual_groups", reason: "401" },
    log: { msg: "refresh failed", endpoint: "virtual_groups", reason: "401", hint: "CLS rejected the API key: check NVIDIA_API_KEY" },
    maxCalls: 1,
    outcome: "One call, not retried, no other call made; everything keeps its last good value.",
  },
  {
    id: "403",
    fault: "403 Forbidden",
    injected: "virtual_groups answers 403",
    rules: [{ endpoint: "virtual_groups", status: 403 }],
    up: 0,
    families: ALL_STALE,
    metric: { endpoint: "virtual_groups", reason: "403" },
    log: {
      msg: "refresh failed",
      endpoint: "virtual_groups",
      reason: "403",
      hint: "CLS refused access: the key needs access type Licensing State for this org",
    },
    maxCalls: 1,
    outcome: "As 401.",
  },
  {
    id: "404",
    fault: "Unknown org (404)",
    injected: "virtual_groups answers 404",
    rules: [{ endpoint: "virtual_groups", status: 404 }],
    up: 0,
    families: ALL_STALE,
    metric: { endpoint: "virtual_groups", reason: "404" },
    log: { msg: "refresh failed", endpoint: "virtual_groups", reason: "404", hint: "CLS does not know this org: check NVIDIA_ORG_NAME" },
    maxCalls: 1,
    outcome: "As 401.",
  },
  {
    id: "429-retry-after-short",
    fault: "429 with Retry-After shorter than the refresh",
    injected: "license_pools answers 429 with `Retry-After: 1`, once per pool",
    rules: [{ endpoint: "license_pools", status: 429, retryAfter: "1", times: 3 }],
    up: 1,
    log: { msg: "refresh succeeded" },
    maxCalls: 12,
    outcome: "Waits as asked, retries within the refresh and succeeds; all fresh.",
  },
  {
    id: "429-retry-after-long",
    fault: "429 with Retry-After longer than the refresh",
    injected: "virtual_groups answers 429 with `Retry-After: 4`",
    rules: [{ endpoint: "virtual_groups", status: 429, retryAfter: "4" }],
    up: 0,
    families: ALL_STALE,
    metric: { endpoint: "virtual_groups", reason: "429" },
    log: {
      msg: "refresh failed",
      endpoint: "virtual_groups",
      reason: "429",
      hint: "CLS is throttling requests: consider a longer CACHE_TTL or a lower PARALLELISM",
    },
    maxCalls: 1,
    outcome:
      "No other call is made, and none at all until the Retry-After has passed (the refreshes meanwhile fail at once); everything keeps its last good value.",
  },
  {
    id: "429",
    fault: "429 without Retry-After",
    injected: "leases answers 429",
    rules: [{ endpoint: "leases", status: 429 }],
    up: 0,
    families: { leases: "stale" },
    metric: { endpoint: "leases", reason: "429" },
    log: {
      msg: "refresh incomplete",
      endpoint: "leases",
      reason: "429",
      hint: "CLS is throttling requests: consider a longer CACHE_TTL or a lower PARALLELISM",
    },
    maxCalls: 6 + 3 * 4,
    outcome: "Up to 3 retries with jittered exponential backoff inside the refresh; leases keep their last good values.",
  },
  {
    id: "500",
    fault: "500 Internal Server Error",
    injected: "license_servers answers 500",
    rules: [{ endpoint: "license_servers", status: 500 }],
    up: 0,
    metric: { endpoint: "license_servers", reason: "5xx" },
    log: {
      msg: "refresh incomplete",
      endpoint: "license_servers",
      reason: "500",
      hint: "CLS had a server error; retried within the refresh",
    },
    maxCalls: 7 + 2 * 4,
    outcome: "Retried; the last good server list is used, so pools and leases of those servers are still fetched fresh.",
  },
  {
    id: "502",
    fault: "502 Bad Gateway (HTML body)",
    injected: "leases answers 502 with an HTML page",
    rules: [{ endpoint: "leases", status: 502, rawBody: HTML }],
    up: 0,
    families: { leases: "stale" },
    metric: { endpoint: "leases", reason: "5xx" },
    log: { msg: "refresh incomplete", endpoint: "leases", reason: "502", hint: "CLS had a server error; retried within the refresh" },
    maxCalls: 6 + 3 * 4,
    outcome: "Retried; leases keep their last good values.",
  },
  {
    id: "503-once",
    fault: "503 once per call",
    injected: "each license_pools call answers 503 once",
    rules: [{ endpoint: "license_pools", status: 503, times: 3 }],
    up: 1,
    log: { msg: "refresh succeeded" },
    maxCalls: 12,
    outcome: "The retry succeeds within the refresh; all fresh.",
  },
  {
    id: "503",
    fault: "503 Service Unavailable",
    injected: "license_pools answers 503",
    rules: [{ endpoint: "license_pools", status: 503 }],
    up: 0,
    families: { pools: "stale" },
    metric: { endpoint: "license_pools", reason: "5xx" },
    log: {
      msg: "refresh incomplete",
      endpoint: "license_pools",
      reason: "503",
      hint: "CLS had a server error; retried within the refresh",
    },
    maxCalls: 6 + 3 * 4,
    outcome: "Retried; pools keep their last good values.",
  },
  {
    id: "refused",
    fault: "Connection refused",
    injected: "the suite's TCP forwarder in front of the simulator stops listening",
    proxy: "refuse",
    up: 0,
    families: ALL_STALE,
    metric: { endpoint: "virtual_groups", reason: "network" },
    log: {
      msg: "refresh failed",
      endpoint: "virtual_groups",
      reason: "network",
      hint: "CLS cannot be reached: check NVIDIA_API_BASE_URL, DNS and the network",
    },
    maxCalls: 4,
    outcome:
      "Retried with backoff within the refresh, then no other call is made (every one would fail alike); everything keeps its last good value.",
  },
  {
    id: "slow",
    fault: "Slower than SCRAPE_TIMEOUT",
    injected: "leases answers after 5 s",
    rules: [{ endpoint: "leases", latencyMs: 5_000 }],
    up: 0,
    families: { leases: "stale" },
    metric: { endpoint: "leases", reason: "timeout" },
    log: { msg: "refresh incomplete", endpoint: "leases", reason: "timeout", hint: "CLS did not answer in time: see SCRAPE_TIMEOUT" },
    maxCalls: 6 + 3 * 2,
    hangs: true,
    outcome:
      "Each call is abandoned after half of SCRAPE_TIMEOUT, the refresh at SCRAPE_TIMEOUT; scrapes are answered from the cache meanwhile; leases keep their last good values.",
  },
  {
    id: "hang",
    fault: "Hung connection",
    injected: "virtual_groups accepts the request and never answers",
    rules: [{ endpoint: "virtual_groups", hang: true }],
    up: 0,
    families: { entitlements: "stale" },
    metric: { endpoint: "virtual_groups", reason: "timeout" },
    log: {
      msg: "refresh incomplete",
      endpoint: "virtual_groups",
      reason: "timeout",
      hint: "CLS did not answer in time: see SCRAPE_TIMEOUT",
      error: "org-level deadline (a third of SCRAPE_TIMEOUT) exceeded",
    },
    maxCalls: 9,
    hangs: true,
    outcome:
      "The group list has a third of SCRAPE_TIMEOUT, all its attempts and pages together; abandoned then (not retried: its one call took the whole share), and the rest of the refresh runs on the last good group list, so servers, pools and leases are fresh; entitlements keep their last good values.",
  },
  {
    id: "truncated",
    fault: "Truncated JSON",
    injected: "license_servers answers 200 with its body cut in half",
    rules: [{ endpoint: "license_servers", malformed: true }],
    up: 0,
    metric: { endpoint: "license_servers", reason: "decode" },
    log: {
      msg: "refresh incomplete",
      endpoint: "license_servers",
      reason: "decode",
      hint: "CLS sent something that is not the expected JSON",
    },
    maxCalls: 9,
    outcome: "Not retried; the last good server list is used (pools and leases fresh).",
  },
  {
    id: "html",
    fault: "Malformed JSON (an HTML page with 200)",
    injected: "virtual_groups answers 200 with an HTML page",
    rules: [{ endpoint: "virtual_groups", status: 200, rawBody: HTML }],
    up: 0,
    families: { entitlements: "stale" },
    metric: { endpoint: "virtual_groups", reason: "decode" },
    log: {
      msg: "refresh incomplete",
      endpoint: "virtual_groups",
      reason: "decode",
      hint: "CLS sent something that is not the expected JSON",
    },
    maxCalls: 9,
    outcome: "Not retried; the last good group list is used; entitlements keep their last good values.",
  },
  {
    id: "wrong-shape",
    fault: "Schema drift: the list has the wrong type",
    injected: 'license_pools answers `{"licensePools": "n/a"}`',
    rules: [{ endpoint: "license_pools", body: { licensePools: "n/a" } }],
    up: 0,
    families: { pools: "stale" },
    metric: { endpoint: "license_pools", reason: "decode" },
    log: {
      msg: "refresh incomplete",
      endpoint: "license_pools",
      reason: "decode",
      hint: "CLS sent something that is not the expected JSON",
    },
    maxCalls: 9,
    outcome: "The part fails; pools keep their last good values.",
  },
  {
    id: "missing-ids",
    fault: "Schema drift: missing fields",
    injected: "the first lease of each leases answer has no leaseId",
    rules: [{ endpoint: "leases", drift: "missing-ids" }],
    up: 1,
    families: { leases: "skip" },
    metric: { endpoint: "leases", reason: "invalid_items" },
    log: {
      msg: "refresh succeeded with unreadable items",
      endpoint: "leases",
      reason: "invalid_items",
      hint: "CLS sent items this exporter cannot fully read (an API change?): see nvidia_cls_invalid_items",
    },
    maxCalls: 9,
    outcome: "Items without an id are skipped and counted in `nvidia_cls_invalid_items`; the rest is fresh.",
  },
  {
    id: "wrong-types",
    fault: "Schema drift: wrong types",
    injected: 'every number in the first pool of each license_pools answer becomes `"n/a"`',
    rules: [{ endpoint: "license_pools", drift: "wrong-types" }],
    up: 1,
    families: { pools: "skip" },
    metric: { endpoint: "license_pools", reason: "invalid_items" },
    log: {
      msg: "refresh succeeded with unreadable items",
      endpoint: "license_pools",
      reason: "invalid_items",
      hint: "CLS sent items this exporter cannot fully read (an API change?): see nvidia_cls_invalid_items",
    },
    maxCalls: 9,
    outcome:
      "The item is kept with the unreadable quantities absent (their series are not reported) and counted in `nvidia_cls_invalid_items`; the rest is fresh.",
  },
  {
    id: "extra-fields",
    fault: "Schema drift: extra fields",
    injected: "unknown fields added to every virtual group and to the answer",
    rules: [{ endpoint: "virtual_groups", drift: "extra-fields" }],
    up: 1,
    log: { msg: "refresh succeeded" },
    maxCalls: 9,
    outcome: "Ignored; all fresh.",
  },
  {
    id: "empty",
    fault: "Schema drift: empty arrays",
    injected: "license_pools answers `licensePools: []`",
    rules: [{ endpoint: "license_pools", drift: "empty" }],
    up: 1,
    families: { pools: "absent" },
    log: { msg: "refresh succeeded" },
    maxCalls: 9,
    outcome: "Taken as CLS's word: no pools, so no pool series; the rest is fresh.",
  },
  {
    id: "corrupt-compressed",
    fault: "Corrupt compressedClients",
    injected: "leases answers with a gzip stream cut short in `compressedClients`",
    rules: [{ endpoint: "leases", corruptCompressed: true }],
    up: 0,
    families: { leases: "stale" },
    metric: { endpoint: "leases", reason: "decode" },
    log: { msg: "refresh incomplete", endpoint: "leases", reason: "decode" },
    maxCalls: 9,
    outcome: "Not retried; leases keep their last good values.",
  },
  {
    id: "duplicates",
    fault: "Duplicate ids",
    injected: "every lease list and every server list sent twice over",
    rules: [
      { endpoint: "leases", drift: "duplicates" },
      { endpoint: "license_servers", drift: "duplicates" },
    ],
    up: 1,
    log: { msg: "refresh succeeded" },
    maxCalls: 9,
    outcome: "Counted once (first of each id); all fresh and equal to the truth.",
  },
  {
    id: "long-strings",
    fault: "Strings past CLS_MAX_STRING_LENGTH",
    injected: "every string but the ids of the first virtual group (its name, its entitlements' feature names, …) is 1,000 characters",
    rules: [{ endpoint: "virtual_groups", drift: "long-strings", driftSize: 1_000 }],
    up: 1,
    families: { entitlements: "skip" },
    metric: { endpoint: "virtual_groups", reason: "invalid_items" },
    log: {
      msg: "refresh succeeded with unreadable items",
      endpoint: "virtual_groups",
      reason: "invalid_items",
      hint: "CLS sent items this exporter cannot fully read (an API change?): see nvidia_cls_invalid_items",
      error: "with a string over CLS_MAX_STRING_LENGTH",
    },
    maxCalls: 9,
    outcome:
      "Names and descriptive values are cut to CLS_MAX_STRING_LENGTH characters ending with `…` (no label, history row or log line is longer) and the item counted in `nvidia_cls_invalid_items`; an id that long drops its item instead (a cut id could equal another). The rest is fresh.",
  },
  {
    id: "absurd-numbers",
    fault: "Absurd quantities",
    injected: "the numbers of the first client of each leases answer are alternately a 400-digit numeric string and negative",
    rules: [{ endpoint: "leases", drift: "absurd-numbers", driftSize: 400 }],
    up: 1,
    families: { leases: "skip" },
    metric: { endpoint: "leases", reason: "invalid_items" },
    log: {
      msg: "refresh succeeded with unreadable items",
      endpoint: "leases",
      reason: "invalid_items",
      hint: "CLS sent items this exporter cannot fully read (an API change?): see nvidia_cls_invalid_items",
      error: "with a quantity negative, non-finite or above 1e9",
    },
    maxCalls: 9,
    outcome:
      "A quantity that is negative, not finite or above 1e9 is read as absent (a series it feeds is not reported; a lease whose count is unreadable counts as 1) and its item counted in `nvidia_cls_invalid_items`; the rest is fresh.",
  },
  {
    id: "one-vg",
    fault: "One virtual group failing",
    injected: "license_servers and leases of group 4102 answer 500",
    rules: [
      { endpoint: "license_servers", vgId: 4102, status: 500 },
      { endpoint: "leases", vgId: 4102, status: 500 },
    ],
    up: 0,
    families: { leases: { staleVg: 4102 } },
    metric: { endpoint: "license_servers", reason: "5xx" },
    log: {
      msg: "refresh incomplete",
      endpoint: "license_servers",
      reason: "500",
      hint: "CLS had a server error; retried within the refresh",
    },
    maxCalls: 7 + 2 * 4,
    outcome: "Group 4102's leases keep their last good values; group 4101 is fresh.",
  },
  // Oversize answers: the suite runs with CLS_MAX_RESPONSE_BYTES and CLS_MAX_INFLATED_BYTES of TEST_BYTE_LIMIT.
  {
    id: "gzip-bomb",
    fault: "Content-Encoding: gzip bomb",
    injected: `leases answers 200 with a gzip body inflating to 64 MiB (past CLS_MAX_RESPONSE_BYTES ${TEST_BYTE_LIMIT})`,
    rules: [{ endpoint: "leases", gzipBomb: 64 * 2 ** 20 }],
    up: 0,
    families: { leases: "stale" },
    metric: { endpoint: "leases", reason: "too_large" },
    log: { msg: "refresh incomplete", endpoint: "leases", reason: "too_large", hint: TOO_LARGE_HINT },
    maxCalls: 9,
    outcome: "Inflated and read only up to the bound, then the connection is dropped; not retried; leases keep their last good values.",
  },
  {
    id: "compressed-bomb",
    fault: "compressedClients bomb",
    injected: `leases answers with a compressedClients inflating to 16 MiB (past CLS_MAX_INFLATED_BYTES ${TEST_BYTE_LIMIT})`,
    rules: [{ endpoint: "leases", compressedBomb: 16 * 2 ** 20 }],
    up: 0,
    families: { leases: "stale" },
    metric: { endpoint: "leases", reason: "too_large" },
    log: { msg: "refresh incomplete", endpoint: "leases", reason: "too_large", hint: TOO_LARGE_HINT },
    maxCalls: 9,
    outcome: "Inflated off the event loop and only up to the bound; not retried; leases keep their last good values.",
  },
  {
    id: "huge-body",
    fault: "An answer past CLS_MAX_RESPONSE_BYTES",
    injected: "license_pools answers its real list padded to 64 MiB",
    rules: [{ endpoint: "license_pools", hugeBody: 64 * 2 ** 20 }],
    up: 0,
    families: { pools: "stale" },
    metric: { endpoint: "license_pools", reason: "too_large" },
    log: { msg: "refresh incomplete", endpoint: "license_pools", reason: "too_large", hint: TOO_LARGE_HINT },
    maxCalls: 9,
    outcome: "Read only up to the bound; not retried; pools keep their last good values.",
  },
  {
    id: "huge-error-body",
    fault: "500 with a 1 GiB HTML body",
    injected: "license_servers answers 500 with an HTML page of 1 GiB",
    rules: [{ endpoint: "license_servers", hugeErrorBody: 2 ** 30 }],
    up: 0,
    metric: { endpoint: "license_servers", reason: "5xx" },
    log: {
      msg: "refresh incomplete",
      endpoint: "license_servers",
      reason: "500",
      hint: "CLS had a server error; retried within the refresh",
    },
    maxCalls: 7 + 2 * 4,
    outcome: "As 500: only the first 4 KiB of each attempt's body are read (200 characters kept in the message).",
  },
  {
    id: "too-many-items",
    fault: "More items than CLS_MAX_ITEMS",
    injected: "each leases answer holds 500 clients (copies with unique lease ids)",
    rules: [{ endpoint: "leases", items: 500 }],
    up: 0,
    families: { leases: "stale" },
    metric: { endpoint: "leases", reason: "too_large" },
    log: { msg: "refresh incomplete", endpoint: "leases", reason: "too_large", hint: TOO_LARGE_HINT },
    maxCalls: 9,
    outcome:
      "Refused as the page arrives, before it is parsed (clients and their leases counted), not retried; leases keep their last good values.",
  },
  {
    id: "endless-pages",
    fault: "Pages that never end",
    injected: "every license_servers page brings new servers and says another page follows",
    rules: [{ endpoint: "license_servers", endlessPages: true }],
    up: 0,
    metric: { endpoint: "license_servers", reason: "too_large" },
    log: { msg: "refresh incomplete", endpoint: "license_servers", reason: "too_large", hint: TOO_LARGE_HINT },
    maxCalls: 1 + 2 * 4 + 3 + 3,
    outcome:
      "At most CLS_MAX_PAGES pages per list, then the part fails instead of serving a truncated list; the last good server list is used (pools and leases fresh).",
  },
  {
    id: "repeated-page",
    fault: "A page repeated forever, items without ids",
    injected: "every leases page number answers the first page and says another page follows",
    rules: [{ endpoint: "leases", repeatPage: "no-ids" }],
    up: 0,
    families: { leases: "stale" },
    metric: { endpoint: "leases", reason: "decode" },
    log: { msg: "refresh incomplete", endpoint: "leases", reason: "decode", hint: "CLS sent something that is not the expected JSON" },
    maxCalls: 6 + 3 * 2,
    outcome:
      "The second page, equal to the first by content, stops the walk; as the totals announced more, the part fails rather than serve a short list; leases keep their last good values.",
  },
  {
    id: "oversize-page",
    fault: "A page longer than the page-size asked",
    injected: "license_servers answers pages of 300 servers to `page-size=100`",
    rules: [{ endpoint: "license_servers", items: 300, pageSize: 300 }],
    up: 0,
    metric: { endpoint: "license_servers", reason: "too_large" },
    log: { msg: "refresh incomplete", endpoint: "license_servers", reason: "too_large", hint: TOO_LARGE_HINT },
    maxCalls: 9,
    outcome:
      "Counted in full against CLS_MAX_ITEMS (a long page within it is kept whole); past it the part fails at the first page; the last good server list is used (pools and leases fresh).",
  },
];

const cell = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

function freshness(row: FaultRow): string {
  const f = { leases: "fresh", pools: "fresh", entitlements: "fresh", ...row.families } as Record<Family, Freshness>;
  const parts = (Object.keys(f) as Family[]).map((k) => {
    const v = f[k];
    return `${k} ${typeof v === "object" ? `stale for group ${v.staleVg}, else fresh` : v === "skip" ? "fresh but for the drifted item" : v}`;
  });
  return parts.join("; ");
}

/** docs/faults.md, from FAULT_ROWS and the two rows tested with exporters of their own. */
export function renderFaultTable(): string {
  const head = [
    "# What the exporter does when CLS or the network misbehaves",
    "",
    "Generated from `test/integration/fault-rows.ts` by `bun run scripts/fault-table.ts --write`;",
    "`test/integration/faults.test.ts` injects every row into the CLS simulator, checks every column",
    "against the running exporter process and fails when this file differs from the rows.",
    "",
    "For every row: `/metrics` answers 200 from the cache (a scrape never waits for a refresh once a",
    "snapshot exists — for the rows marked *hangs* the scrape is answered while the CLS call is still",
    "open), the process survives, and the refresh writes one outcome line (JSON here, `LOG_FORMAT=json`)",
    "naming the endpoint and reason; repeats of the same failure are written at `debug` and once every",
    "10 minutes at `warn`. The line's `reason` is the exact HTTP status, which",
    "`nvidia_cls_refresh_errors_total` counts under its class (500 → `5xx`; 401, 403, 404 and 429 keep",
    "their own). *stale* means the value before the fault (the last good one), *fresh* the simulator's",
    "new truth after its lease counts moved. The org has 2 virtual groups, 3 license servers, 3 pools",
    "and 3 service instances: a healthy refresh makes 9 CLS calls. SCRAPE_TIMEOUT is 2s (one call may",
    `take 1 s), CACHE_TTL 1s, CLS_MAX_RESPONSE_BYTES and CLS_MAX_INFLATED_BYTES ${TEST_BYTE_LIMIT}, CLS_MAX_STRING_LENGTH 64 (no label value served is longer in any row).`,
    "The bounds on lists are small so the rows stay small: CLS_MAX_ITEMS 200, CLS_MAX_PAGES 4.",
    "",
    "| fault | injected as | `nvidia_cls_up` | series served | counted in | outcome line (`msg`, `endpoint`, `reason`) | CLS calls per refresh | what happens |",
    "|---|---|---|---|---|---|---|---|",
  ];
  const rows = FAULT_ROWS.map((r) => {
    const metric = !r.metric
      ? "—"
      : r.metric.reason === "invalid_items"
        ? `\`nvidia_cls_invalid_items{endpoint="${r.metric.endpoint}"}\``
        : `\`nvidia_cls_refresh_errors_total{endpoint="${r.metric.endpoint}",reason="${r.metric.reason}"}\``;
    const log = `${r.log.msg}${r.log.endpoint ? `, ${r.log.endpoint}, ${r.log.reason}` : ""}${r.log.hint ? `: "${r.log.hint}"` : ""}`;
    return `| ${cell(r.fault)}${r.hangs ? " (*hangs*)" : ""} | ${cell(r.injected)} | ${r.up} | ${cell(freshness(r))} | ${metric} | ${cell(log)} | ≤ ${r.maxCalls} | ${cell(r.outcome)} |`;
  });
  const separate = [
    `| Host that does not resolve | \`NVIDIA_API_BASE_URL\` names a host that does not resolve (the exporter in a mount namespace whose resolv.conf points to 127.0.0.1, where no DNS server runs), started on the database of a previous run | 0 | everything as stored by the previous run (its snapshot, with its collection time) | \`nvidia_cls_refresh_errors_total{endpoint="virtual_groups",reason="network"}\` | ${cell(`refresh failed, virtual_groups, network: "${UNRESOLVED_HINT}"`)}, the error naming the host | ≤ 4 | Retried with backoff within each refresh; the stored snapshot is served until CLS answers. |`,
    `| Very large org | ${LARGE_ORG_TEXT} | 1 | all fresh, equal to the truth | — | refresh succeeded | = the API minimum | One refresh within SCRAPE_TIMEOUT 20s; every series present. |`,
  ];
  return `${[...head, ...rows, ...separate].join("\n")}\n`;
}

export const UNRESOLVED_HINT = "CLS cannot be reached: check NVIDIA_API_BASE_URL, DNS and the network";
export const LARGE_ORG_TEXT = "a generated org of 10 virtual groups × 10 servers × 9 features × 10 leases (4,111 series)";
