/** Entitlements of a generated group: one product key per feature, the first feature split over two. */
import type { SimModel, WireEntitlement, WireEntitlementFeature, WireProductKey, WireVirtualGroup } from "./model.ts";
import { type Rng, randInt, uuid } from "./random.ts";

export interface CatalogueFeature {
  featureName: string;
  productFamily: string;
  namespace: string;
  productVersion: string;
}

export const CATALOGUE: readonly CatalogueFeature[] = [
  { featureName: "NVIDIA RTX Virtual Workstation", productFamily: "vGPU", namespace: "vgpu", productVersion: "17.0" },
  { featureName: "NVIDIA Virtual PC", productFamily: "vGPU", namespace: "vgpu", productVersion: "17.0" },
  { featureName: "NVIDIA AI Enterprise", productFamily: "NVIDIA AI Enterprise", namespace: "nvaie", productVersion: "5.0" },
  { featureName: "NVIDIA Virtual Applications", productFamily: "vGPU", namespace: "vgpu", productVersion: "17.0" },
  { featureName: "NVIDIA vCompute Server", productFamily: "vGPU", namespace: "vgpu", productVersion: "17.0" },
  { featureName: "NVIDIA Omniverse Enterprise", productFamily: "Omniverse", namespace: "omniverse", productVersion: "2024.1" },
];

interface KeySpec {
  feature: CatalogueFeature;
  total: number;
  saleType: string;
  /** The key this one renews, by its number in the group (a renewed pair in every other group). */
  renews?: number;
}

/** 2025-01-01T00:00:00Z, the generated start date, in the shapes CLS may send it: each key gets one, in turn. */
const START = Date.UTC(2025, 0, 1);
const START_SHAPES: readonly unknown[] = [
  "2025-01-01T00:00:00Z",
  "2025-01-01",
  START / 1000,
  START,
  String(START / 1000),
  "2025-01-01T01:00:00+01:00",
  "2025-01-01 00:00:00",
];

export function buildEntitlements(model: SimModel, vg: WireVirtualGroup, features: CatalogueFeature[], rng: Rng): WireEntitlement[] {
  const entitlementId = uuid(rng);
  const specs = features.flatMap((feature, j) => keySpecs(model, vg.id, feature, j, rng));
  const keys = specs.map((spec, k) => productKey(vg, entitlementId, spec, k + 1, rng));
  return [
    {
      id: entitlementId,
      emsEntitlementId: `EMS-ENT-${vg.id}-0001`,
      orgName: model.orgName,
      description: `Generated subscription for ${vg.name}`,
      type: "SUBSCRIPTION",
      entitlementProductKeys: keys,
    },
  ];
}

/**
 * Entitlement covers what the servers hold plus some unassigned seats. The first feature is split
 * over two product keys (like a 72 + 128 seat purchase), which real CLS data does and which makes
 * series collide if an exporter drops the product key label.
 */
function keySpecs(model: SimModel, vgId: number, feature: CatalogueFeature, j: number, rng: Rng): KeySpec[] {
  let onServers = 0;
  for (const s of model.serversByVg.get(vgId) ?? []) {
    for (const f of s.licenseServerFeatures) if (f.featureName === feature.featureName) onServers += f.totalQuantity;
  }
  const total = onServers + (j % 2 === 1 ? randInt(rng, 1, Math.max(1, Math.ceil(onServers / 4))) : 0);
  if (j !== 0 || total < 2) return [{ feature, total, saleType: "NEW" }];
  const first = Math.max(1, Math.round(total * 0.36));
  return [
    { feature, total: first, saleType: "NEW" },
    vgId % 2 === 0
      ? { feature, total: total - first, saleType: "RENEWAL", renews: 1 }
      : { feature, total: total - first, saleType: "ADD_ON" },
  ];
}

function productKey(vg: WireVirtualGroup, entitlementId: string, spec: KeySpec, n: number, rng: Rng): WireProductKey {
  const nn = String(n).padStart(2, "0");
  return {
    emsProductKeyId: `PK-${vg.id}-${nn}`,
    virtualGroupId: vg.id,
    virtualGroupName: vg.name,
    emsParentProductKeyId: "",
    emsTopMostParentProductKeyId: "",
    saleType: spec.saleType,
    renewedEmsProductKeyId: spec.renews === undefined ? "" : `PK-${vg.id}-${String(spec.renews).padStart(2, "0")}`,
    // Both shapes the reference leaves open: a boolean, and its string.
    isMovableAcrossVG: n % 3 === 0 ? "false" : true,
    entitlementFeatures: [entitlementFeature(vg, entitlementId, spec, n, rng)],
  };
}

function entitlementFeature(vg: WireVirtualGroup, entitlementId: string, spec: KeySpec, n: number, rng: Rng): WireEntitlementFeature {
  const f = spec.feature;
  const nn = String(n).padStart(2, "0");
  return {
    id: uuid(rng),
    entitlementId,
    emsActivationId: `ACT-${vg.id}-0${nn}-GEN`,
    featureName: f.featureName,
    featureVersion: "1.0",
    featureDisplay: true,
    namespace: f.namespace,
    productFamily: f.productFamily,
    productName: f.featureName,
    productVersion: f.productVersion,
    licenseType: "CONCURRENT",
    startDate: START_SHAPES[(vg.id + n) % START_SHAPES.length],
    // Fixed far-future dates keep generation deterministic while still "not expired".
    endDate: `${2029 + (vg.id % 3)}-12-31T23:59:59Z`,
    totalQuantity: spec.total,
    inUseQuantity: 0,
    unassignedQuantity: 0,
    ...overage(vg.id, n, spec.total),
  };
}

/** The second key of every third group is in an overage that started on 2026-11-01; the others have none (CLS's zeros). */
function overage(vgId: number, n: number, total: number): Record<string, unknown> {
  if (vgId % 3 !== 0 || n !== 2) return { overagePercent: 0, availableOverageQuantity: 0, overageStartTime: 0, overageDuration: 0 };
  return {
    overagePercent: 20,
    availableOverageQuantity: Math.ceil(total / 5),
    overageStartTime: Date.UTC(2026, 10, 1),
    overageDuration: 30,
  };
}
