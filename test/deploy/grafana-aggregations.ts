/**
 * How the dashboard must aggregate what it reads: the data families with a max over replicas (they
 * serve the same series), each process's own counters summed over them, and the tables' rows kept
 * apart by their ids.
 */

/**
 * Counters of each process's own work, not of the shared snapshot: only the leader calls CLS, but a
 * follower cut off from it does too, and each writes its own history, pushes and logs. Their rates
 * are summed over the replicas; every other family is the same on every replica and read with max.
 */
export const PER_PROCESS_COUNTERS = [
  "nvidia_cls_api_requests_total",
  "nvidia_cls_refresh_errors_total",
  "nvidia_cls_refreshes_total",
  "nvidia_cls_otlp_exports_total",
  "nvidia_cls_otlp_export_failures_total",
  "nvidia_cls_history_write_errors_total",
  "nvidia_cls_history_queries_total",
  "nvidia_cls_log_lines_dropped_total",
];

/** Table panels, and the labels that tell their rows apart (names alone may repeat). */
export const TABLE_ROW_LABELS: Record<string, string[]> = {
  "Entitlements per feature": ["ems_product_key_id", "feature_name", "feature_version"],
  "License servers": ["server_id"],
  "Server features: leased against allotted": ["server_id", "feature_name"],
  "Pools: allotment against in use": ["server_id", "pool_id", "feature_name"],
};

/**
 * The aggregation that directly reads the series at `at` in `expr` (`max`, `sum`, ...), looking
 * through range functions (rate, increase, last_over_time); undefined when none does.
 */
export function aggregationAround(expr: string, at: number): string | undefined {
  let depth = 0;
  for (let i = at - 1; i >= 0; i--) {
    const c = expr[i];
    if (c === ")") depth++;
    else if (c === "(" && depth > 0) depth--;
    else if (c === "(") {
      const before = expr.slice(0, i);
      const fn = /\b(?:rate|increase|last_over_time)\s*$/.exec(before);
      if (fn) {
        i = fn.index;
        continue;
      }
      return /\b(\w+) (?:by|without) \([^)]*\)\s*$/.exec(before)?.[1];
    }
  }
  return undefined;
}

/** Each raw family (no `:` in its name) an expression reads, with the aggregation directly around it. */
export const rawFamiliesOf = (expr: string): { family: string; aggregation: string | undefined }[] =>
  [...expr.matchAll(/(?<![\w:])nvidia_cls_\w+/g)].map((m) => ({ family: m[0], aggregation: aggregationAround(expr, m.index) }));

/** The labels of an expression's outermost `<aggregation> by (...)`. */
export const outerByLabels = (expr: string): string[] => (/^\s*\w+ by \(([^)]*)\)/.exec(expr)?.[1] ?? "").split(",").map((l) => l.trim());
