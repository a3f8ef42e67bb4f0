import { type HrTime, ValueType } from "@opentelemetry/api";
import type { Resource } from "@opentelemetry/resources";
import { AggregationTemporality, DataPointType, type MetricData, type ResourceMetrics } from "@opentelemetry/sdk-metrics";
import type { MetricDef, View } from "./catalog.ts";

/**
 * The catalogue as OTLP data: the same names, attributes (labels plus org_name) and values that
 * /metrics renders from the same view. Gauges stay gauges; counters become cumulative monotonic
 * sums that start when the process started, like the Prometheus counters.
 * Loaded only when OTLP push is enabled (it pulls in the OpenTelemetry SDK).
 */
export interface OtlpRenderOptions {
  resource: Resource;
  scope: { name: string; version: string };
  orgName: string;
  /** Start of the cumulative counters (ms since the epoch). */
  startMs: number;
}

const hrTime = (ms: number): HrTime => [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];

export function toResourceMetrics(catalog: readonly MetricDef[], view: View, nowMs: number, opts: OtlpRenderOptions): ResourceMetrics {
  const end = hrTime(nowMs);
  const start = hrTime(opts.startMs);
  const metrics: MetricData[] = [];
  for (const def of catalog) {
    const counter = def.type === "counter";
    const dataPoints = [];
    for (const { labels, value } of def.rows(view)) {
      dataPoints.push({ startTime: counter ? start : end, endTime: end, attributes: { org_name: opts.orgName, ...labels }, value });
    }
    // As in /metrics: a family with no samples is left out.
    if (dataPoints.length === 0) continue;
    const descriptor = { name: def.name, description: def.help, unit: def.unit, valueType: ValueType.DOUBLE };
    metrics.push(
      counter
        ? {
            descriptor,
            aggregationTemporality: AggregationTemporality.CUMULATIVE,
            dataPointType: DataPointType.SUM,
            isMonotonic: true,
            dataPoints,
          }
        : { descriptor, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.GAUGE, dataPoints },
    );
  }
  return { resource: opts.resource, scopeMetrics: [{ scope: opts.scope, metrics }] };
}
