/** What the simulator's org holds, counted as --check counts it, and every value it could leak. */
import { instancesOf, type SimModel } from "../../src/sim/model.ts";

/** Objects of each kind one refresh is served: lease clients once per service instance that reports them. */
export function kindCounts(model: SimModel): Record<string, number> {
  const n: Record<string, number> = {};
  const add = (kind: string, k: number) => {
    n[kind] = (n[kind] ?? 0) + k;
  };
  for (const vg of model.virtualGroups) {
    add("virtualGroup", 1);
    for (const e of vg.entitlements ?? []) {
      add("entitlement", 1);
      for (const k of e.entitlementProductKeys) {
        add("productKey", 1);
        add("entitlementFeature", k.entitlementFeatures.length);
      }
    }
    for (const s of model.serversByVg.get(vg.id) ?? []) {
      add("licenseServer", 1);
      add("licenseServerFeature", s.licenseServerFeatures.length);
      for (const p of model.poolsByServer.get(s.id) ?? []) {
        add("licensePool", 1);
        add("licensePoolFeature", p.licensePoolFeatures.length);
      }
    }
    const instances = instancesOf(model, vg.id);
    for (const c of model.clientsByVg.get(vg.id) ?? []) {
      const reports = c.instanceIds.filter((i) => instances.includes(i)).length;
      add("client", reports);
      add("lease", reports * c.wire.leases.length);
    }
  }
  return n;
}

/**
 * Every value the org's objects hold that a report could leak: each string of 4 characters or
 * more that is not also a field name (names are what --check prints), and each numeric id.
 */
export function identitiesOf(model: SimModel): { strings: string[]; numbers: number[] } {
  const strings = new Set<string>([model.orgName]);
  const names = new Set<string>();
  const numbers = new Set<number>();
  const walk = (v: unknown, key: string) => {
    if (typeof v === "string" && v.length >= 4) strings.add(v);
    else if (typeof v === "number" && /(^id|Id|_id)$/.test(key)) numbers.add(v);
    else if (Array.isArray(v)) for (const x of v) walk(x, key);
    else if (v && typeof v === "object")
      for (const [k, x] of Object.entries(v)) {
        names.add(k);
        walk(x, k);
      }
  };
  walk(model.virtualGroups, "");
  for (const servers of model.serversByVg.values()) walk(servers, "");
  for (const pools of model.poolsByServer.values()) walk(pools, "");
  for (const clients of model.clientsByVg.values()) walk(clients, "");
  return { strings: [...strings].filter((s) => !names.has(s)), numbers: [...numbers] };
}
