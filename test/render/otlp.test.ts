import { expect, test } from "bun:test";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { DataPointType } from "@opentelemetry/sdk-metrics";
import { newOtlpStats } from "../../src/otlp/stats.ts";
import { CATALOG, LIVE_CATALOG, type View } from "../../src/render/catalog.ts";
import { toResourceMetrics } from "../../src/render/otlp.ts";
import { renderCatalog } from "../../src/render/prometheus.ts";
import { newStats } from "../../src/snapshot/refresher.ts";
import type { Snapshot } from "../../src/snapshot/types.ts";
import { parseMetrics, type Sample } from "../integration/history-helpers.ts";

const nasty = 'a"b\\c\nd ünï {}=,';
const vg = { virtual_group_id: "1", virtual_group_name: nasty };
const server = { ...vg, server_id: "s1", server_name: "srv" };
const feature = { ...server, feature_name: "vWS", product_name: "vGPU", license_type: "CONCURRENT_COUNTED_SINGLE" };
const entitlement = {
  ...vg,
  feature_name: "vWS",
  feature_version: "9.0",
  product_name: "vGPU",
  license_type: "x",
  ems_entitlement_id: "e",
  ems_product_key_id: "k",
};

/** A view with a sample in every family, a value CLS left out, and stats in every counter. */
function fullView(): View {
  const snapshot: Snapshot = {
    collectedAt: 1_700_000_000_250,
    durationMs: 1_234,
    up: false,
    entitlements: [
      {
        labels: entitlement,
        total: 72,
        inUse: 70,
        unassigned: 2,
        end: 1_800_000_000,
        start: 1_700_000_000,
        overagePercent: 10,
        overageAvailable: 7,
        overageStart: 1_750_000_000,
        overageDuration: 30,
        productFamily: nasty,
        productVersion: "17.0",
      },
      { labels: { ...entitlement, ems_product_key_id: "k2" }, total: 128, inUse: undefined, unassigned: 0, end: undefined },
    ],
    productKeys: [{ labels: { ...vg, ems_entitlement_id: "e", ems_product_key_id: "k", sale_type: "RENEWAL", movable_across_vg: "true" } }],
    renewals: [{ labels: { ...vg, ems_entitlement_id: "e", ems_product_key_id: "k", renewed_ems_product_key_id: "k0" } }],
    servers: [{ labels: { ...server, status: "ENABLED", deployed_on: "CLOUD", leasing_mode: "STANDARD" } }],
    serverFeatures: [
      { labels: feature, total: 200, active: 199 },
      { labels: { ...feature, feature_name: "vPC" }, total: 10, active: 0 },
    ],
    pools: [{ labels: { ...server, pool_id: "p", pool_name: "default", feature_name: "vWS" }, allotment: 200, inUse: 199 }],
    unattributed: [{ labels: { ...vg, feature_name: "vApps" }, count: 3 }],
    invalidItems: [["leases", 2]],
    failures: [],
  };
  const stats = newStats();
  stats.refreshErrors.set("leases\ntimeout", 4);
  stats.requests.set("leases\n200", 17);
  stats.refreshes = 9;
  stats.lastSuccessAt = 1_700_000_000_000;
  stats.lastCalls = 12;
  const otlp = newOtlpStats();
  otlp.exports = 5;
  otlp.failures.set("unavailable", 2);
  otlp.lastSuccessAt = 1_700_000_100_000;
  return {
    snapshot,
    stats,
    build: { version: "1.2.3", revision: "abc", bunVersion: "1.4.5" },
    history: { stats: { writeErrors: new Map([["full", 1]]), lastWriteAt: 1_700_000_000_500, databaseBytes: 4096 }, available: true },
    otlp,
  };
}

const key = (s: Sample) => `${s.name}${JSON.stringify(Object.entries(s.labels).sort())} ${s.value}`;

test("a push holds exactly the samples /metrics renders from the same view", async () => {
  const catalog = [...CATALOG, ...LIVE_CATALOG];
  const view = fullView();
  const pulled = parseMetrics(await renderCatalog(catalog, view, "org", "text"));
  const rm = toResourceMetrics(catalog, view, 1_700_000_200_000, {
    resource: resourceFromAttributes({}),
    scope: { name: "s", version: "1" },
    orgName: "org",
    startMs: 1_699_999_000_000,
  });
  const pushed = rm.scopeMetrics[0]!.metrics.flatMap((m) =>
    m.dataPoints.map((p) => ({ name: m.descriptor.name, labels: p.attributes as Record<string, string>, value: p.value as number })),
  );
  expect(pushed.map(key).sort()).toEqual(pulled.map(key).sort());
  // Every family of the catalogue had a sample, so every one was compared.
  expect(new Set(pushed.map((s) => s.name)).size).toBe(catalog.length);
  expect(pushed.some((s) => s.labels.virtual_group_name === nasty)).toBe(true);
});

test("kinds and times: gauges at the push time, counters cumulative from the process start", () => {
  const rm = toResourceMetrics(CATALOG, fullView(), 1_700_000_200_250, {
    resource: resourceFromAttributes({}),
    scope: { name: "s", version: "1" },
    orgName: "org",
    startMs: 1_699_999_000_000,
  });
  const byName = new Map(rm.scopeMetrics[0]!.metrics.map((m) => [m.descriptor.name, m]));
  const up = byName.get("nvidia_cls_up")!;
  expect(up.dataPointType).toBe(DataPointType.GAUGE);
  expect(up.dataPoints[0]!.endTime).toEqual([1_700_000_200, 250_000_000]);
  const refreshes = byName.get("nvidia_cls_refreshes_total")!;
  expect(refreshes.dataPointType).toBe(DataPointType.SUM);
  expect(refreshes.dataPointType === DataPointType.SUM && refreshes.isMonotonic).toBe(true);
  expect(refreshes.dataPoints[0]!.startTime).toEqual([1_699_999_000, 0]);
  // No samples, no family: the same rule as /metrics.
  const empty = toResourceMetrics(CATALOG, { ...fullView(), snapshot: undefined }, 0, {
    resource: resourceFromAttributes({}),
    scope: { name: "s", version: "1" },
    orgName: "org",
    startMs: 0,
  });
  expect(empty.scopeMetrics[0]!.metrics.map((m) => m.descriptor.name)).not.toContain("nvidia_cls_entitlement_total_quantity");
});
