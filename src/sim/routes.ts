/**
 * The CLS "License Usage" routes: path matching and response bodies built from the model.
 * Wire objects are served as stored, so unknown fixture fields reach the client unchanged.
 */
import type { SimEndpoint } from "./faults.ts";
import { findServer, findVg, type SimModel, type WireLicenseServer, type WireVirtualGroup } from "./model.ts";
import { paginate } from "./paging.ts";

export interface RouteMatch {
  endpoint: SimEndpoint;
  org: string;
  /** Raw path segment; non-numeric ids simply match no group. */
  vg?: string;
  serverId?: string;
}

export interface ClsResult {
  status: number;
  body: unknown;
}

export interface ClsRequest {
  match: RouteMatch;
  query: URLSearchParams;
  instanceId: string | null;
  compressedLeases: boolean;
}

export function matchRoute(pathname: string): RouteMatch | null {
  let seg: string[];
  try {
    seg = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  } catch {
    return null;
  }
  const [v1, org, orgName, vgs, vg, sub, serverId, pools] = seg;
  if (v1 !== "v1" || org !== "org" || orgName === undefined || vgs !== "virtual-groups") return null;
  const base = { org: orgName };
  if (seg.length === 4) return { ...base, endpoint: "virtual_groups" };
  if (vg === undefined) return null;
  if (seg.length === 5) return { ...base, endpoint: "virtual_group", vg };
  if (sub === "license-servers" && seg.length === 6) return { ...base, endpoint: "license_servers", vg };
  if (sub === "license-servers" && seg.length === 8 && pools === "license-pools") {
    return { ...base, endpoint: "license_pools", vg, serverId };
  }
  // `/leases` is the path older exporters used; `/leases/all` the current one.
  if (sub === "leases" && (seg.length === 6 || (seg.length === 7 && serverId === "all"))) {
    return { ...base, endpoint: "leases", vg };
  }
  return null;
}

export const errorBody = (status: number, message: string): ClsResult => ({ status, body: { status, message } });

export function serveCls(model: SimModel, req: ClsRequest): ClsResult {
  const { match } = req;
  if (match.org !== model.orgName) return errorBody(404, `organisation ${match.org} not found`);
  if (match.endpoint === "virtual_groups") return listVirtualGroups(model, req.query);
  const vg = match.vg !== undefined && /^\d+$/.test(match.vg) ? findVg(model, Number(match.vg)) : undefined;
  if (!vg) return errorBody(404, `virtual group ${match.vg ?? ""} not found`);
  switch (match.endpoint) {
    case "virtual_group":
      return { status: 200, body: { virtualGroup: vg } };
    case "license_servers":
      return listServers(model, vg.id, req.query);
    case "license_pools":
      return listPools(model, vg.id, match.serverId ?? "");
    case "leases":
      return listLeases(model, vg.id, req);
  }
}

const isTrue = (v: string | null): boolean => v?.toLowerCase() === "true";

function listVirtualGroups(model: SimModel, query: URLSearchParams): ClsResult {
  const all = isTrue(query.get("only-default")) ? model.virtualGroups.slice(0, 1) : model.virtualGroups;
  const page = paginate(all, query);
  if ("error" in page) return errorBody(400, page.error);
  // detailedView defaults to false in the API reference: nested entitlements only on request.
  const detailed = isTrue(query.get("detailedView"));
  const virtualGroups = detailed ? page.items : page.items.map(withoutEntitlements);
  return { status: 200, body: { virtualGroups, paginationInfo: page.info } };
}

function withoutEntitlements(vg: WireVirtualGroup): WireVirtualGroup {
  const { entitlements: _omitted, ...rest } = vg;
  return rest as WireVirtualGroup;
}

function listServers(model: SimModel, vgId: number, query: URLSearchParams): ClsResult {
  const page = paginate(model.serversByVg.get(vgId) ?? [], query);
  if ("error" in page) return errorBody(400, page.error);
  const body = { licenseServers: page.items, productFamily: productFamilies(model, page.items), paginationInfo: page.info };
  return { status: 200, body };
}

/** Families of the features on this page's servers, first-seen order (matches the paged fixtures). */
function productFamilies(model: SimModel, servers: WireLicenseServer[]): string[] {
  const families = new Set<string>();
  for (const s of servers) {
    for (const f of s.licenseServerFeatures) {
      const family = model.productFamilies.get(f.featureName);
      if (family) families.add(family);
    }
  }
  return [...families];
}

function listPools(model: SimModel, vgId: number, serverId: string): ClsResult {
  if (!findServer(model, vgId, serverId)) return errorBody(404, `license server ${serverId} not found`);
  return { status: 200, body: { licensePools: model.poolsByServer.get(serverId) ?? [] } };
}

function listLeases(model: SimModel, vgId: number, req: ClsRequest): ClsResult {
  if (!req.instanceId) return errorBody(400, "header x-nv-service-instance-id is required");
  const instanceId = req.instanceId;
  const clients = (model.clientsByVg.get(vgId) ?? []).filter((c) => c.instanceIds.includes(instanceId)).map((c) => c.wire);
  if (!req.compressedLeases) return { status: 200, body: { clients } };
  const gz = Bun.gzipSync(new TextEncoder().encode(JSON.stringify({ clients })));
  return { status: 200, body: { compressedClients: Buffer.from(gz).toString("base64") } };
}
