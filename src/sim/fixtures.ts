/**
 * Loads a scenario directory (fixture files + index.json, as in src/sim/scenarios/lic-example)
 * into a fresh model. Paged and only-default files are views the router recomputes, so they only
 * contribute objects not seen elsewhere.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { z } from "zod";
import { recompute } from "./derive.ts";
import { assignLeases } from "./fixture-assign.ts";
import { countLeases, emptyModel, type SimClient, type SimModel, type WireClient } from "./model.ts";
import * as schema from "./wire-schema.ts";

export type ScenarioName = "lic-example";

const SCENARIOS: Record<ScenarioName, URL> = {
  "lic-example": new URL("./scenarios/lic-example/", import.meta.url),
};

/** A fresh, independent model of a bundled scenario (each call re-reads the files). */
export function loadScenario(name: ScenarioName): SimModel {
  const dir = SCENARIOS[name];
  if (!dir) throw new Error(`unknown scenario ${String(name)}`);
  return loadScenarioDir(fileURLToPath(dir));
}

export function loadScenarioDir(dir: string): SimModel {
  const read = (file: string): unknown => JSON.parse(readFileSync(`${dir.replace(/\/$/, "")}/${file}`, "utf8"));
  const index = schema.scenarioIndex.parse(read("index.json"));
  const model = emptyModel(index.org);
  const loader = new Loader(model, read);
  for (const route of index.routes) loader.route(route);
  assignLeases(model, loader.poolTargets);
  for (const vg of model.virtualGroups) {
    if (!model.serversByVg.has(vg.id)) model.serversByVg.set(vg.id, []);
    if (!model.clientsByVg.has(vg.id)) model.clientsByVg.set(vg.id, []);
  }
  model.baselineLeases = countLeases(model);
  recompute(model);
  return model;
}

const SUB = /^\/v1\/org\/[^/]+\/virtual-groups(?:\/(\d+)(?:\/(license-servers|leases)(?:\/([^/]+)\/license-pools|\/all)?)?)?$/;

class Loader {
  /** Fixture pool inUse values: the targets lease-to-pool assignment must reproduce. */
  readonly poolTargets = new Map<string, number>();
  private readonly leaseCalls = new Set<string>();

  constructor(
    private readonly model: SimModel,
    private readonly read: (file: string) => unknown,
  ) {}

  route(route: schema.ScenarioRoute): void {
    const m = SUB.exec(route.path);
    if (!m) throw new Error(`scenario route not understood: ${route.path}`);
    const [, vg, sub, serverId] = m;
    const body = <T extends z.ZodType>(s: T): z.infer<T> => s.parse(this.read(route.file));
    if (vg === undefined) this.addVgs(body(schema.virtualGroupsBody).virtualGroups);
    else if (sub === undefined) this.addVgs([body(schema.virtualGroupBody).virtualGroup]);
    else if (sub === "leases") this.addLeases(Number(vg), route.headers?.["x-nv-service-instance-id"], route.file);
    else if (serverId !== undefined) this.addPools(serverId, body(schema.licensePoolsBody).licensePools);
    else this.addServers(Number(vg), body(schema.licenseServersBody).licenseServers);
  }

  private addVgs(vgs: z.infer<typeof schema.virtualGroupsBody>["virtualGroups"]): void {
    for (const vg of vgs) {
      if (!this.model.virtualGroups.some((v) => v.id === vg.id)) this.model.virtualGroups.push(vg);
      for (const ent of vg.entitlements ?? []) {
        for (const pk of ent.entitlementProductKeys) {
          for (const f of pk.entitlementFeatures) {
            if (typeof f.productFamily === "string") this.model.productFamilies.set(f.featureName, f.productFamily);
          }
        }
      }
    }
  }

  private addServers(vgId: number, servers: z.infer<typeof schema.licenseServersBody>["licenseServers"]): void {
    const list = this.model.serversByVg.get(vgId) ?? [];
    for (const s of servers) if (!list.some((x) => x.id === s.id)) list.push(s);
    this.model.serversByVg.set(vgId, list);
  }

  private addPools(serverId: string, pools: z.infer<typeof schema.licensePoolsBody>["licensePools"]): void {
    this.model.poolsByServer.set(serverId, pools);
    for (const p of pools) {
      for (const pf of p.licensePoolFeatures) this.poolTargets.set(`${p.id}|${pf.licenseServerFeatureId}`, pf.inUse);
    }
  }

  private addLeases(vgId: number, instanceId: string | undefined, file: string): void {
    if (!instanceId) throw new Error(`leases fixture ${file} has no x-nv-service-instance-id header`);
    // The compressed fixture is an alternative body of the same call: load the call once.
    const callKey = `${vgId}|${instanceId}`;
    if (this.leaseCalls.has(callKey)) return;
    this.leaseCalls.add(callKey);
    const body = schema.leasesBody.parse(this.read(file));
    // Like the API: a non-empty compressedClients replaces clients.
    const clients = body.compressedClients ? decodeCompressed(body.compressedClients) : (body.clients ?? []);
    const list = this.model.clientsByVg.get(vgId) ?? [];
    this.model.clientsByVg.set(vgId, list);
    for (const wire of clients) this.addClient(list, wire, instanceId);
  }

  private addClient(list: SimClient[], wire: WireClient, instanceId: string): void {
    // A client whose leases are all known already is the same client reported by a second instance.
    const first = wire.leases[0];
    const known = first && list.find((c) => c.wire.leases.some((l) => l.leaseId === first.leaseId));
    if (known && wire.leases.every((l) => known.wire.leases.some((k) => k.leaseId === l.leaseId))) {
      if (!known.instanceIds.includes(instanceId)) known.instanceIds.push(instanceId);
      return;
    }
    list.push({ instanceIds: [instanceId], wire });
  }
}

export function decodeCompressed(b64: string): WireClient[] {
  const json = new TextDecoder().decode(Bun.gunzipSync(Buffer.from(b64, "base64")));
  return schema.clientsBody.parse(JSON.parse(json)).clients;
}
