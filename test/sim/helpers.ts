/** Shared helpers for simulator tests: HTTP calls against a started simulator and invariant checks. */
import {
  leaseUnits,
  type SimModel,
  type WireClient,
  type WireLicensePool,
  type WireLicenseServer,
  type WireVirtualGroup,
} from "../../src/sim/model.ts";
import type { Simulator } from "../../src/sim/server.ts";

export const API_KEY = "test-key-123";

export interface CallOptions {
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** null = send no key */
  key?: string | null;
  signal?: AbortSignal;
  method?: string;
}

export async function call(sim: Simulator, path: string, opts: CallOptions = {}): Promise<Response> {
  const url = new URL(sim.url + path);
  for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
  const headers: Record<string, string> = { accept: "application/json", ...opts.headers };
  const key = opts.key === undefined ? API_KEY : opts.key;
  if (key !== null) headers["x-api-key"] = key;
  return fetch(url, { headers, method: opts.method ?? "GET", ...(opts.signal ? { signal: opts.signal } : {}) });
}

export async function getJson<T = any>(sim: Simulator, path: string, opts: CallOptions = {}): Promise<T> {
  const res = await call(sim, path, opts);
  if (res.status !== 200) throw new Error(`${path} -> ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

export const orgPath = (sim: Simulator, rest = ""): string => `/v1/org/${sim.orgName}/virtual-groups${rest}`;

/** The org as a client sees it over HTTP, fetched page by page like an exporter would. */
export interface ServedOrg {
  virtualGroups: WireVirtualGroup[];
  servers: Map<number, WireLicenseServer[]>;
  pools: Map<string, WireLicensePool[]>;
  /** key `${vgId}|${instanceId}` */
  clients: Map<string, WireClient[]>;
  calls: number;
}

async function fetchAllPages<T>(
  sim: Simulator,
  path: string,
  key: string,
  pageSize: number,
  onCall: () => void,
  extra: Record<string, string> = {},
): Promise<T[]> {
  const out: T[] = [];
  for (let page = 1; ; page++) {
    onCall();
    const body = await getJson(sim, path, { query: { ...extra, "page-number": String(page), "page-size": String(pageSize) } });
    out.push(...(body[key] as T[]));
    if (page >= body.paginationInfo.totalPages) return out;
  }
}

export async function fetchServedOrg(sim: Simulator, pageSize = 100): Promise<ServedOrg> {
  const org: ServedOrg = { virtualGroups: [], servers: new Map(), pools: new Map(), clients: new Map(), calls: 0 };
  const count = () => org.calls++;
  org.virtualGroups = await fetchAllPages(sim, orgPath(sim), "virtualGroups", pageSize, count, { detailedView: "true" });
  for (const vg of org.virtualGroups) {
    const servers = await fetchAllPages<WireLicenseServer>(
      sim,
      orgPath(sim, `/${vg.id}/license-servers`),
      "licenseServers",
      pageSize,
      count,
    );
    org.servers.set(vg.id, servers);
    for (const s of servers) {
      count();
      org.pools.set(s.id, (await getJson(sim, orgPath(sim, `/${vg.id}/license-servers/${s.id}/license-pools`))).licensePools);
    }
    for (const instance of new Set(servers.map((s) => s.serviceInstanceId).filter((i): i is string => !!i))) {
      count();
      const body = await getJson(sim, orgPath(sim, `/${vg.id}/leases/all`), { headers: { "x-nv-service-instance-id": instance } });
      org.clients.set(`${vg.id}|${instance}`, body.clients);
    }
  }
  return org;
}

/** A view of the model in the same shape, to run the invariant checks without HTTP. */
export function modelView(model: SimModel): ServedOrg {
  const clients = new Map<string, WireClient[]>();
  for (const [vgId, list] of model.clientsByVg) {
    for (const c of list) {
      for (const i of c.instanceIds) clients.set(`${vgId}|${i}`, [...(clients.get(`${vgId}|${i}`) ?? []), c.wire]);
    }
  }
  return { virtualGroups: model.virtualGroups, servers: model.serversByVg, pools: model.poolsByServer, clients, calls: 0 };
}

/** Distinct leases per group, de-duplicated on leaseId as an exporter must. */
export function distinctServedLeases(org: ServedOrg): { vgId: number; client: WireClient; lease: WireClient["leases"][number] }[] {
  const seen = new Set<string>();
  const out: { vgId: number; client: WireClient; lease: WireClient["leases"][number] }[] = [];
  for (const [key, clients] of org.clients) {
    const vgId = Number(key.split("|")[0]);
    for (const client of clients) {
      for (const lease of client.leases) {
        if (seen.has(lease.leaseId)) continue;
        seen.add(lease.leaseId);
        out.push({ vgId, client, lease });
      }
    }
  }
  return out;
}

/** Seats per `${poolId}|${serverFeatureId}` and per `${vgId}|${featureName}`, counted from served leases. */
function seatIndex(org: ServedOrg, model: SimModel): { byPool: Map<string, number>; byVgFeature: Map<string, number> } {
  const byPool = new Map<string, number>();
  const byVgFeature = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, n: number) => m.set(k, (m.get(k) ?? 0) + n);
  for (const { vgId, lease } of distinctServedLeases(org)) {
    const seats = leaseUnits(lease);
    add(byVgFeature, `${vgId}|${lease.featureName}`, seats);
    const a = model.assignments.get(lease.leaseId);
    if (a?.poolId) add(byPool, `${a.poolId}|${a.serverFeatureId}`, seats);
  }
  return { byPool, byVgFeature };
}

/**
 * The invariants of fixtures/index.json, checked on served data (plus the hidden pool assignment,
 * which is not on the wire). Returns the list of violations, empty when all hold.
 */
export function checkInvariants(org: ServedOrg, model: SimModel): string[] {
  const errors: string[] = [];
  const seats = seatIndex(org, model);
  for (const [vgId, servers] of org.servers) {
    for (const s of servers) {
      const pools = org.pools.get(s.id) ?? [];
      for (const f of s.licenseServerFeatures) {
        const allot = pools.flatMap((p) => p.licensePoolFeatures).filter((pf) => pf.licenseServerFeatureId === f.id);
        const sum = allot.reduce((n, pf) => n + pf.totalAllotment, 0);
        if (sum !== f.totalQuantity) errors.push(`allotments of ${f.id} sum to ${sum}, server total ${f.totalQuantity}`);
      }
      for (const p of pools) {
        for (const pf of p.licensePoolFeatures) {
          const inPool = seats.byPool.get(`${p.id}|${pf.licenseServerFeatureId}`) ?? 0;
          if (pf.inUse !== inPool) errors.push(`pool ${p.name}/${pf.licenseServerFeatureId} inUse ${pf.inUse} != ${inPool} leases`);
          if (pf.inUse > pf.totalAllotment) errors.push(`pool ${p.name} over allotment: ${pf.inUse} > ${pf.totalAllotment}`);
        }
      }
    }
    errors.push(...checkEntitlements(org, vgId, seats.byVgFeature));
  }
  errors.push(...checkAllotmentIds(org));
  return errors;
}

function checkAllotmentIds(org: ServedOrg): string[] {
  const errors: string[] = [];
  for (const { vgId, client, lease } of distinctServedLeases(org)) {
    const serverId = client.additionalProperties?.license_server_id;
    if (!serverId) continue;
    const server = org.servers.get(vgId)?.find((s) => s.id === serverId);
    if (!server?.licenseServerFeatures.some((f) => f.id === lease.licenseAllotmentFeatureId)) {
      errors.push(`lease ${lease.leaseId}: allotment feature ${lease.licenseAllotmentFeatureId} not on server ${serverId}`);
    }
  }
  return errors;
}

function checkEntitlements(org: ServedOrg, vgId: number, byVgFeature: Map<string, number>): string[] {
  const errors: string[] = [];
  const vg = org.virtualGroups.find((v) => v.id === vgId);
  const features = (vg?.entitlements ?? []).flatMap((e) => e.entitlementProductKeys.flatMap((k) => k.entitlementFeatures));
  for (const name of new Set(features.map((f) => f.featureName))) {
    const keys = features.filter((f) => f.featureName === name);
    const inUse = keys.reduce((n, f) => n + f.inUseQuantity, 0);
    const active = byVgFeature.get(`${vgId}|${name}`) ?? 0;
    if (inUse !== active) errors.push(`vg ${vgId} ${name}: entitlement inUse ${inUse} != ${active} active`);
    const total = keys.reduce((n, f) => n + f.totalQuantity, 0);
    const onServers = (org.servers.get(vgId) ?? [])
      .flatMap((s) => s.licenseServerFeatures)
      .filter((f) => f.featureName === name)
      .reduce((n, f) => n + f.totalQuantity, 0);
    const unassigned = keys.reduce((n, f) => n + f.unassignedQuantity, 0);
    if (unassigned !== Math.max(0, total - onServers))
      errors.push(`vg ${vgId} ${name}: unassigned ${unassigned} != ${total} - ${onServers}`);
  }
  return errors;
}
