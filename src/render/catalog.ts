import { ENDPOINT_NAMES } from "../cls/endpoints.ts";
import { REFRESH_ERROR_REASONS, STORE_REASONS } from "../errors.ts";
import type { LogStats } from "../log.ts";
import { OTLP_FAILURE_REASONS, type OtlpStats } from "../otlp/stats.ts";
import { demandOf } from "../snapshot/demand.ts";
import { DEMAND_GROUP_LABELS, DEMAND_LABELS, ENTITLEMENT_INFO_LABELS, FAMILY_LABELS } from "../snapshot/labels.ts";
import { type ExporterStats, statKey } from "../snapshot/refresher.ts";
import type { Labels, Snapshot } from "../snapshot/types.ts";
import { type HistoryStats, QUERY_OUTCOMES } from "../store/index.ts";

/**
 * THE metric catalogue: every exported family, once. Prometheus and OTLP both render from it, and
 * the README metrics table is generated from it. `org_name` is added to every sample by the renderer.
 */
export interface Sample {
  labels: Labels;
  value: number;
}

export interface BuildInfo {
  version: string;
  revision: string;
  bunVersion: string;
}

export interface View {
  /** undefined only until the first refresh attempt ends. */
  snapshot: Snapshot | undefined;
  stats: ExporterStats;
  build: BuildInfo;
  /** Absent when the exporter runs without a history store. */
  history?: { stats: HistoryStats; available: boolean };
  /** Absent when OTLP push is disabled. */
  otlp?: OtlpStats;
  /** The log writer's counts; absent (read as none dropped) in views built without one. */
  logging?: LogStats;
  /**
   * Whether this exporter leads its org's refreshes and writes: absent when there is no election
   * (one exporter on its own history, as with SQLite), which leads by definition.
   */
  leader?: boolean;
}

export interface MetricDef {
  name: string;
  help: string;
  type: "gauge" | "counter";
  labels: readonly string[];
  /** Labels some rows leave out (the org rows of the demand families carry no group labels); every other row has all of `labels`. */
  optionalLabels?: readonly string[];
  /** UCUM unit for OTLP ("1" for counts). */
  unit: string;
  rows(view: View): Iterable<Sample>;
}

/** Rows whose number CLS did not report produce no sample rather than a made-up 0. */
function* defined<R extends { labels: Labels }>(rows: readonly R[] | undefined, pick: (r: R) => number | undefined): Iterable<Sample> {
  for (const r of rows ?? []) {
    const value = pick(r);
    if (value !== undefined && Number.isFinite(value)) yield { labels: r.labels, value };
  }
}

function* fromMap(map: Map<string, number>, names: readonly [string, string]): Iterable<Sample> {
  for (const [key, value] of map) {
    const [a, b] = key.split("\n");
    yield { labels: { [names[0]]: a!, [names[1]]: b! }, value };
  }
}

function* entitlementInfo(rows: Snapshot["entitlements"] | undefined): Iterable<Sample> {
  for (const r of rows ?? [])
    yield {
      labels: { ...r.labels, product_family: r.productFamily ?? "unknown", product_version: r.productVersion ?? "unknown" },
      value: 1,
    };
}

const one = (value: number | undefined): Sample[] => (value === undefined ? [] : [{ labels: {}, value }]);

export const CATALOG: readonly MetricDef[] = [
  {
    name: "nvidia_cls_up",
    type: "gauge",
    unit: "1",
    labels: [],
    help: "1 if the last refresh of CLS data fully succeeded, else 0.",
    rows: (v) => [{ labels: {}, value: v.snapshot?.up ? 1 : 0 }],
  },
  {
    name: "nvidia_cls_leader",
    type: "gauge",
    unit: "1",
    labels: [],
    help: "1 if this exporter leads its org (calls CLS, writes the history, pushes OTLP; always 1 without an election, on SQLite), 0 on a replica that follows another's lead or cannot reach the shared database.",
    rows: (v) => [{ labels: {}, value: v.leader === false ? 0 : 1 }],
  },
  {
    name: "nvidia_cls_scrape_duration_seconds",
    type: "gauge",
    unit: "s",
    labels: [],
    help: "How long the refresh that produced the served data took.",
    rows: (v) => one(v.snapshot && v.snapshot.durationMs / 1000),
  },
  {
    name: "nvidia_cls_scrape_timestamp_seconds",
    type: "gauge",
    unit: "s",
    labels: [],
    help: "When the served data was collected from CLS (unix seconds).",
    rows: (v) => one(v.snapshot && v.snapshot.collectedAt / 1000),
  },
  {
    name: "nvidia_cls_entitlement_total_quantity",
    type: "gauge",
    unit: "{license}",
    labels: FAMILY_LABELS.entitlement,
    help: "Seats bought, per entitlement product key and feature.",
    rows: (v) => defined(v.snapshot?.entitlements, (r) => r.total),
  },
  {
    name: "nvidia_cls_entitlement_in_use_quantity",
    type: "gauge",
    unit: "{license}",
    labels: FAMILY_LABELS.entitlement,
    help: "Seats in use, as CLS reports them per entitlement.",
    rows: (v) => defined(v.snapshot?.entitlements, (r) => r.inUse),
  },
  {
    name: "nvidia_cls_entitlement_unassigned_quantity",
    type: "gauge",
    unit: "{license}",
    labels: FAMILY_LABELS.entitlement,
    help: "Seats not assigned to any license server, as CLS reports them.",
    rows: (v) => defined(v.snapshot?.entitlements, (r) => r.unassigned),
  },
  {
    name: "nvidia_cls_entitlement_end_timestamp_seconds",
    type: "gauge",
    unit: "s",
    labels: FAMILY_LABELS.entitlement,
    help: "When the entitlement expires (unix seconds), when CLS gives an end date.",
    rows: (v) => defined(v.snapshot?.entitlements, (r) => r.end),
  },
  {
    name: "nvidia_cls_entitlement_start_timestamp_seconds",
    type: "gauge",
    unit: "s",
    labels: FAMILY_LABELS.entitlement,
    help: "When the entitlement starts (unix seconds), when CLS gives a start date.",
    rows: (v) => defined(v.snapshot?.entitlements, (r) => r.start),
  },
  {
    name: "nvidia_cls_entitlement_overage_percent",
    type: "gauge",
    unit: "%",
    labels: FAMILY_LABELS.entitlement,
    help: "Overage allowed beyond the seats bought, in percent, as CLS reports it (overagePercent).",
    rows: (v) => defined(v.snapshot?.entitlements, (r) => r.overagePercent),
  },
  {
    name: "nvidia_cls_entitlement_overage_available_quantity",
    type: "gauge",
    unit: "{license}",
    labels: FAMILY_LABELS.entitlement,
    help: "Seats usable beyond the seats bought, as CLS reports them (availableOverageQuantity).",
    rows: (v) => defined(v.snapshot?.entitlements, (r) => r.overageAvailable),
  },
  {
    name: "nvidia_cls_entitlement_overage_start_timestamp_seconds",
    type: "gauge",
    unit: "s",
    labels: FAMILY_LABELS.entitlement,
    help: "Since when an overage runs (unix seconds); absent while none does.",
    rows: (v) => defined(v.snapshot?.entitlements, (r) => r.overageStart),
  },
  {
    name: "nvidia_cls_entitlement_overage_duration",
    type: "gauge",
    unit: "1",
    labels: FAMILY_LABELS.entitlement,
    help: "How long an overage may run, as CLS sends it (overageDuration): its unit is not documented.",
    rows: (v) => defined(v.snapshot?.entitlements, (r) => r.overageDuration),
  },
  {
    name: "nvidia_cls_entitlement_info",
    type: "gauge",
    unit: "1",
    labels: ENTITLEMENT_INFO_LABELS,
    help: "1 per entitlement series, with its product family and version.",
    rows: (v) => entitlementInfo(v.snapshot?.entitlements),
  },
  {
    name: "nvidia_cls_product_key_info",
    type: "gauge",
    unit: "1",
    labels: FAMILY_LABELS.productKey,
    help: "1 per entitlement product key, with its sale type and whether it may move between virtual groups.",
    rows: (v) => defined(v.snapshot?.productKeys, () => 1),
  },
  {
    name: "nvidia_cls_product_key_renewal_info",
    type: "gauge",
    unit: "1",
    labels: FAMILY_LABELS.productKeyRenewal,
    help: "1 per product key that renews another: renewed_ems_product_key_id is the key it replaces, whose seats are not new capacity.",
    rows: (v) => defined(v.snapshot?.renewals, () => 1),
  },
  {
    name: "nvidia_cls_license_server_info",
    type: "gauge",
    unit: "1",
    labels: FAMILY_LABELS.server,
    help: "1 per license server, with its status, deployment and leasing mode.",
    rows: (v) => defined(v.snapshot?.servers, () => 1),
  },
  {
    name: "nvidia_cls_license_server_feature_total_quantity",
    type: "gauge",
    unit: "{license}",
    labels: FAMILY_LABELS.serverFeature,
    help: "Seats of a feature allotted to a license server.",
    rows: (v) => defined(v.snapshot?.serverFeatures, (r) => r.total),
  },
  {
    name: "nvidia_cls_license_server_feature_active_leases",
    type: "gauge",
    unit: "{lease}",
    labels: FAMILY_LABELS.serverFeature,
    help: "Active leases of a feature on a license server, deduplicated by lease id; 0 when none.",
    rows: (v) => defined(v.snapshot?.serverFeatures, (r) => r.active),
  },
  {
    name: "nvidia_cls_license_pool_allotment_quantity",
    type: "gauge",
    unit: "{license}",
    labels: FAMILY_LABELS.pool,
    help: "Seats of a feature allotted to a license pool.",
    rows: (v) => defined(v.snapshot?.pools, (r) => r.allotment),
  },
  {
    name: "nvidia_cls_license_pool_in_use_quantity",
    type: "gauge",
    unit: "{license}",
    labels: FAMILY_LABELS.pool,
    help: "Seats of a feature in use in a license pool.",
    rows: (v) => defined(v.snapshot?.pools, (r) => r.inUse),
  },
  {
    name: "nvidia_cls_unattributed_leases",
    type: "gauge",
    unit: "{lease}",
    labels: FAMILY_LABELS.unattributed,
    help: "Active leases that name no license server feature the exporter could match; counted here instead of dropped.",
    rows: (v) => defined(v.snapshot?.unattributed, (r) => r.count),
  },
  {
    name: "nvidia_cls_feature_seats_in_use",
    type: "gauge",
    unit: "{license}",
    labels: DEMAND_LABELS,
    optionalLabels: DEMAND_GROUP_LABELS,
    help: "Seats of a feature in use (versions merged): active leases on the scope's license servers, each lease once, plus its unattributed leases; scope virtual_group, or org (no group labels).",
    rows: (v) => defined(v.snapshot && demandOf(v.snapshot), (r) => r.inUse),
  },
  {
    name: "nvidia_cls_feature_seats",
    type: "gauge",
    unit: "{license}",
    labels: DEMAND_LABELS,
    optionalLabels: DEMAND_GROUP_LABELS,
    help: "Seats of a feature bought (versions merged): totalQuantity of the scope's product keys active now and not replaced by an active renewal; scope virtual_group, or org (no group labels).",
    rows: (v) => defined(v.snapshot && demandOf(v.snapshot), (r) => r.seats),
  },
  {
    name: "nvidia_cls_feature_overage_seats",
    type: "gauge",
    unit: "{license}",
    labels: DEMAND_LABELS,
    optionalLabels: DEMAND_GROUP_LABELS,
    help: "Overage seats available beyond nvidia_cls_feature_seats (availableOverageQuantity of the same keys), never included in it; scope virtual_group, or org (no group labels).",
    rows: (v) => defined(v.snapshot && demandOf(v.snapshot), (r) => r.overage),
  },
  {
    name: "nvidia_cls_invalid_items",
    type: "gauge",
    unit: "{item}",
    labels: ["endpoint"],
    help: "Items in the last refresh's CLS responses that were not fully understood: dropped without a usable id, else kept with bad fields absent, long names cut.",
    rows: (v) => [...(v.snapshot?.invalidItems ?? [])].map(([endpoint, value]) => ({ labels: { endpoint }, value })),
  },
  {
    name: "nvidia_cls_refresh_errors_total",
    type: "counter",
    unit: "{error}",
    labels: ["endpoint", "reason"],
    help: "Parts of refreshes that failed, by CLS endpoint and reason (401, 403, 404, 429, 4xx, 5xx, network, timeout, decode, too_large); every pair from 0.",
    // Every endpoint × reason from 0: alert rules need no `or vector(0)`, and a first failure is an increase.
    rows: (v) =>
      ENDPOINT_NAMES.flatMap((endpoint) =>
        REFRESH_ERROR_REASONS.map((reason) => ({
          labels: { endpoint, reason },
          value: v.stats.refreshErrors.get(statKey(endpoint, reason)) ?? 0,
        })),
      ),
  },
  {
    name: "nvidia_cls_api_requests_total",
    type: "counter",
    unit: "{request}",
    labels: ["endpoint", "code"],
    help: "HTTP requests made to CLS, retries included, by endpoint and HTTP status or error kind.",
    rows: (v) => fromMap(v.stats.requests, ["endpoint", "code"]),
  },
  {
    name: "nvidia_cls_refreshes_total",
    type: "counter",
    unit: "{refresh}",
    labels: [],
    help: "Refreshes of CLS data attempted.",
    rows: (v) => [{ labels: {}, value: v.stats.refreshes }],
  },
  {
    name: "nvidia_cls_last_refresh_api_calls",
    type: "gauge",
    unit: "{request}",
    labels: [],
    help: "HTTP requests the most recent refresh made to CLS.",
    rows: (v) => [{ labels: {}, value: v.stats.lastCalls }],
  },
  {
    name: "nvidia_cls_last_success_timestamp_seconds",
    type: "gauge",
    unit: "s",
    labels: [],
    help: "When a refresh last fully succeeded (unix seconds); absent until one has.",
    rows: (v) => one(v.stats.lastSuccessAt && v.stats.lastSuccessAt / 1000),
  },
  {
    name: "nvidia_cls_exporter_build_info",
    type: "gauge",
    unit: "1",
    labels: ["version", "revision", "bun_version"],
    help: "1, with the exporter's version, git revision and Bun version.",
    rows: (v) => [{ labels: { version: v.build.version, revision: v.build.revision, bun_version: v.build.bunVersion }, value: 1 }],
  },
];

/**
 * The history store's families. They change between snapshots (a write follows each refresh), so
 * the renderer puts them in the live section rendered at most once a second, not in the per-snapshot body.
 */
const HISTORY_CATALOG: readonly MetricDef[] = [
  {
    name: "nvidia_cls_history_up",
    type: "gauge",
    unit: "1",
    labels: [],
    help: "1 if the history database is being written and /history can answer, else 0.",
    rows: (v) => (v.history ? [{ labels: {}, value: v.history.available ? 1 : 0 }] : []),
  },
  {
    name: "nvidia_cls_history_write_errors_total",
    type: "counter",
    unit: "{error}",
    labels: ["reason"],
    help: "Snapshots or upkeep steps that could not be written to the history database, by reason.",
    // Every reason from 0, so the counter does not first appear on its first increment.
    rows: (v) =>
      v.history ? STORE_REASONS.map((reason) => ({ labels: { reason }, value: v.history!.stats.writeErrors.get(reason) ?? 0 })) : [],
  },
  {
    name: "nvidia_cls_history_queries_total",
    type: "counter",
    unit: "{query}",
    labels: ["outcome"],
    help: "/history queries by outcome: answered, cancelled (client gone or timed out), busy (503: too many waiting), too_large (400), failed.",
    rows: (v) =>
      v.history ? QUERY_OUTCOMES.map((outcome) => ({ labels: { outcome }, value: v.history!.stats.queries?.get(outcome) ?? 0 })) : [],
  },
  {
    name: "nvidia_cls_history_last_write_timestamp_seconds",
    type: "gauge",
    unit: "s",
    labels: [],
    help: "When a snapshot was last written to the history database (unix seconds); absent until one was.",
    rows: (v) => one(v.history?.stats.lastWriteAt && v.history.stats.lastWriteAt / 1000),
  },
  {
    name: "nvidia_cls_history_database_bytes",
    type: "gauge",
    unit: "By",
    labels: [],
    help: "Size of the history database file (without its write-ahead log).",
    rows: (v) => one(v.history?.stats.databaseBytes),
  },
];

/** The OTLP pusher's families; present only when push is enabled. They move between snapshots too. */
const OTLP_CATALOG: readonly MetricDef[] = [
  {
    name: "nvidia_cls_otlp_exports_total",
    type: "counter",
    unit: "{export}",
    labels: [],
    help: "OTLP pushes attempted.",
    rows: (v) => (v.otlp ? [{ labels: {}, value: v.otlp.exports }] : []),
  },
  {
    name: "nvidia_cls_otlp_export_failures_total",
    type: "counter",
    unit: "{export}",
    labels: ["reason"],
    help: "OTLP pushes the collector did not accept, by reason (gRPC status or timeout).",
    rows: (v) => (v.otlp ? OTLP_FAILURE_REASONS.map((reason) => ({ labels: { reason }, value: v.otlp!.failures.get(reason) ?? 0 })) : []),
  },
  {
    name: "nvidia_cls_otlp_last_success_timestamp_seconds",
    type: "gauge",
    unit: "s",
    labels: [],
    help: "When the collector last accepted a push (unix seconds); absent until it has.",
    rows: (v) => one(v.otlp?.lastSuccessAt && v.otlp.lastSuccessAt / 1000),
  },
];

/** The process's own health: it changes at any time, so it is live too. */
const PROCESS_CATALOG: readonly MetricDef[] = [
  {
    name: "nvidia_cls_log_lines_dropped_total",
    type: "counter",
    unit: "{line}",
    labels: [],
    help: "Log lines that could not be written (stderr closed, disk full) and were dropped; the exporter keeps serving.",
    rows: (v) => [{ labels: {}, value: v.logging?.dropped ?? 0 }],
  },
];

/** Families that change between snapshots: rendered in /metrics' live section, at most once a second. */
export const LIVE_CATALOG: readonly MetricDef[] = [...HISTORY_CATALOG, ...OTLP_CATALOG, ...PROCESS_CATALOG];
