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
}

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
    { feature, total: total - first, saleType: "ADD_ON" },
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
    renewedEmsProductKeyId: "",
    isMovableAcrossVG: true,
    entitlementFeatures: [entitlementFeature(vg, entitlementId, spec, nn, rng)],
  };
}

function entitlementFeature(vg: WireVirtualGroup, entitlementId: string, spec: KeySpec, nn: string, rng: Rng): WireEntitlementFeature {
  const f = spec.feature;
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
    startDate: "2025-01-01T00:00:00Z",
    // Fixed far-future dates keep generation deterministic while still "not expired".
    endDate: `${2029 + (vg.id % 3)}-12-31T23:59:59Z`,
    totalQuantity: spec.total,
    inUseQuantity: 0,
    unassignedQuantity: 0,
    overagePercent: 0,
    availableOverageQuantity: 0,
    overageStartTime: 0,
    overageDuration: 0,
  };
}
