/**
 * Deterministic generator for large orgs (benchmarks, paging, demo). Same options and seed give
 * the same org, ids included. Values imitate the lic-example fixtures.
 */
import { recompute } from "./derive.ts";
import { buildEntitlements, CATALOGUE, type CatalogueFeature } from "./generate-entitlements.ts";
import { insertLease } from "./leases.ts";
import { emptyModel, type SimModel, type WireLicensePool, type WireLicenseServer, type WireVirtualGroup } from "./model.ts";
import { mulberry32, type Rng, randInt, uuid } from "./random.ts";

export interface GenerateOptions {
  orgName?: string;
  virtualGroups: number;
  serversPerGroup: number;
  featuresPerServer: number;
  leasesPerFeature: number;
  /** Pools per server (default 1: "default"); every pool gets a share of every feature. */
  poolsPerServer?: number;
  /** Distinct service instances per group (default: one per server); servers share them round-robin. */
  instancesPerGroup?: number;
  seed?: number;
}

const DEPARTMENTS = ["VFX-Studio", "Engineering", "Research", "Finance", "Design", "Render-Farm", "Training", "Support"];
const POOL_NAMES = ["default", "render-farm", "interactive", "batch"];

export function generateOrg(opts: GenerateOptions): SimModel {
  const rng = mulberry32(opts.seed ?? 1);
  const model = emptyModel(opts.orgName ?? "sim-org");
  const features = pickFeatures(opts.featuresPerServer);
  for (const f of features) model.productFamilies.set(f.featureName, f.productFamily);
  for (let i = 0; i < opts.virtualGroups; i++) {
    const vg = buildVirtualGroup(model.orgName, i, rng);
    const servers = buildServers(vg, opts, features, rng);
    model.virtualGroups.push(vg);
    model.serversByVg.set(vg.id, servers);
    model.clientsByVg.set(vg.id, []);
    for (const s of servers) {
      model.poolsByServer.set(s.id, buildPools(s, opts.poolsPerServer ?? 1, rng));
      addLeases(model, vg.id, s, opts.leasesPerFeature, rng);
    }
    vg.entitlements = buildEntitlements(model, vg, features, rng);
  }
  model.baselineLeases = model.assignments.size;
  recompute(model);
  return model;
}

/** Catalogue names first; larger counts get numbered editions so names stay unique. */
function pickFeatures(n: number): CatalogueFeature[] {
  return Array.from({ length: n }, (_, j) => {
    const base = CATALOGUE[j % CATALOGUE.length]!;
    const edition = Math.floor(j / CATALOGUE.length);
    return edition === 0 ? base : { ...base, featureName: `${base.featureName} ${edition + 1}` };
  });
}

function buildVirtualGroup(orgName: string, i: number, rng: Rng): WireVirtualGroup {
  const name = i === 0 ? "Default VG" : `${DEPARTMENTS[(i - 1) % DEPARTMENTS.length]}-${i}`;
  const user = `user${i + 1}`;
  return {
    id: 5001 + i,
    name,
    orgName,
    orgDescription: `${orgName} (generated test organisation)`,
    description: i === 0 ? `Default virtual group of ${orgName}` : `Generated group ${name}`,
    createdDate: new Date(Date.UTC(2023, i % 12, 1 + (i % 28), 9, 0, 0)).toISOString().replace(".000", ""),
    users: [{ email: `${user}@example.com`, role: "ORG_ADMIN", id: uuid(rng), clientId: uuid(rng), name: user, active: true }],
  };
}

function buildServers(vg: WireVirtualGroup, opts: GenerateOptions, features: CatalogueFeature[], rng: Rng): WireLicenseServer[] {
  const instances = Array.from({ length: Math.max(1, opts.instancesPerGroup ?? opts.serversPerGroup) }, () => uuid(rng));
  const slug = vg.name.toLowerCase().replace(/[^a-z0-9]+/g, "-");
  return Array.from({ length: opts.serversPerGroup }, (_, s) => ({
    id: uuid(rng),
    name: `cls-${slug}-${s + 1}`,
    status: "ENABLED",
    virtualGroupId: vg.id,
    virtualGroupName: vg.name,
    deployedOn: s % 3 === 2 ? "ON_PREMISES" : "CLOUD",
    leasingMode: "STANDARD",
    serviceInstanceId: instances[s % instances.length]!,
    licenseServerFeatures: features.map((f) => ({
      id: uuid(rng),
      featureName: f.featureName,
      productName: f.featureName,
      licenseType: "CONCURRENT",
      // Always above the generated lease count, so churn has room to add.
      totalQuantity: opts.leasesPerFeature + randInt(rng, Math.max(2, Math.ceil(opts.leasesPerFeature / 2)), opts.leasesPerFeature + 10),
    })),
  }));
}

function buildPools(server: WireLicenseServer, count: number, rng: Rng): WireLicensePool[] {
  const n = Math.max(1, count);
  return Array.from({ length: n }, (_, p) => ({
    id: uuid(rng),
    name: POOL_NAMES[p] ?? `pool-${p + 1}`,
    licensePoolFeatures: server.licenseServerFeatures.map((f) => {
      const share = Math.floor(f.totalQuantity / n);
      // The first pool takes the remainder so allotments sum to the server total (an invariant).
      return { licenseServerFeatureId: f.id, totalAllotment: p === 0 ? f.totalQuantity - share * (n - 1) : share, inUse: 0 };
    }),
  }));
}

function addLeases(model: SimModel, vgId: number, server: WireLicenseServer, perFeature: number, rng: Rng): void {
  const pools = model.poolsByServer.get(server.id) ?? [];
  for (const feature of server.licenseServerFeatures) {
    const room = pools.map((p) => p.licensePoolFeatures.find((pf) => pf.licenseServerFeatureId === feature.id)?.totalAllotment ?? 0);
    for (let k = 0; k < perFeature; k++) {
      // Spread leases over pools round-robin, skipping pools that are full.
      const preferred = k % Math.max(1, pools.length);
      const p = (room[preferred] ?? 0) > 0 ? preferred : room.findIndex((r) => r > 0);
      if (p >= 0) room[p]!--;
      insertLease(model, { vgId, server, feature, poolId: pools[p]?.id ?? null }, uuid(rng));
    }
  }
}
