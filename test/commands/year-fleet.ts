import { mulberry32, randInt } from "../../src/sim/random.ts";
import type { EntitlementRow, PoolRow, ServerFeatureRow, Snapshot } from "../../src/snapshot/types.ts";
import { emptySnapshot, keyRow } from "../snapshot/fixture.ts";

/**
 * The org of the year-sized history (year-fixture.ts), shaped like BENCHMARKS.md (e)'s: 4 virtual
 * groups of 8 license servers with 10 features each (320 `active_leases`), 2–3 product keys per
 * group and feature (100 `entitlement_in_use`), 3 pool features per server (96 `pool_in_use`), and
 * the 50 `feature_in_use` series the store derives (4 groups × 10 features + 10 org rows): 566
 * series. One more server was retired during the year (`retiredServer`), so its 10 series stop.
 */
export const FEATURES = [
  "NVIDIA Virtual PC",
  "NVIDIA RTX Virtual Workstation",
  "NVIDIA Virtual Applications",
  "NVIDIA AI Enterprise",
  "NVIDIA vCompute Server",
  "GRID Virtual PC",
  "Quadro Virtual Data Center Workstation",
  "NVIDIA Omniverse",
  "GRID Virtual Applications",
  "NVIDIA AI Enterprise Essentials",
] as const;

const GROUPS = 4;
const SERVERS_PER_GROUP = 8;
const POOLED_FEATURES = [0, 1, 3];

const group = (g: number) => ({ virtual_group_id: `vg-${g}`, virtual_group_name: `Site ${g}` });
const server = (g: number, s: number) => ({ ...group(g), server_id: `srv-${g}-${s}`, server_name: `cls-${g}-${s}.example.test` });

function serverRows(g: number, s: number, rng: () => number): { features: ServerFeatureRow[]; pools: PoolRow[] } {
  const features = FEATURES.map((feature_name) => {
    const total = randInt(rng, 0, 40);
    return {
      labels: { ...server(g, s), feature_name, product_name: feature_name, license_type: "CONCURRENT" },
      total,
      active: randInt(rng, 0, total),
    };
  });
  const pools = POOLED_FEATURES.map((f) => {
    const allotment = randInt(rng, 0, features[f]!.total);
    const labels = { ...server(g, s), pool_id: `pool-${g}-${s}`, pool_name: "default", feature_name: FEATURES[f]! };
    return { labels, allotment, inUse: randInt(rng, 0, allotment) };
  });
  return { features, pools };
}

/** Keys per group and feature: 3 for the first five features, 2 for the rest. */
function keyRows(g: number, endS: number, rng: () => number): EntitlementRow[] {
  return FEATURES.flatMap((feature, f) =>
    Array.from({ length: f < 5 ? 3 : 2 }, (_, k) => {
      const total = randInt(rng, 10, 120);
      return keyRow(group(g), `pk-${g}-${f}-${k}`, feature, { total, inUse: randInt(rng, 0, total), end: endS + (30 + 60 * k) * 86_400 });
    }),
  );
}

/** The org as its last refresh (at `atS`, unix seconds) saw it; values drawn from `seed`. */
export function fleetSnapshot(atS: number, seed: number): Snapshot {
  const rng = mulberry32(seed);
  const serverFeatures: ServerFeatureRow[] = [];
  const pools: PoolRow[] = [];
  const entitlements: EntitlementRow[] = [];
  for (let g = 0; g < GROUPS; g++) {
    for (let s = 0; s < SERVERS_PER_GROUP; s++) {
      const rows = serverRows(g, s, rng);
      serverFeatures.push(...rows.features);
      pools.push(...rows.pools);
    }
    entitlements.push(...keyRows(g, atS, rng));
  }
  return emptySnapshot({ collectedAt: atS * 1000, durationMs: 950, serverFeatures, pools, entitlements });
}

/** A server of group 0 retired during the year: a snapshot of it alone, for its series' labels and values. */
export function retiredServer(atS: number, seed: number): Snapshot {
  const { features } = serverRows(0, SERVERS_PER_GROUP, mulberry32(seed));
  return emptySnapshot({ collectedAt: atS * 1000, serverFeatures: features });
}
