import { z } from "zod";
import { ClsError } from "../errors.ts";
import type { Budget, HttpGet } from "./http.ts";
import * as s from "./schemas.ts";

/** Typed, validated CLS data, flattened where the API nests it. */
export interface RawVirtualGroup {
  id: string;
  name: string | undefined;
  entitlements: RawEntitlementFeature[];
}
export interface RawEntitlementFeature extends s.EntitlementFeature {
  emsEntitlementId: string | undefined;
  emsProductKeyId: string | undefined;
}
export interface RawServer extends Omit<s.LicenseServer, "licenseServerFeatures"> {
  features: s.ServerFeature[];
}
export interface RawPool extends Omit<s.LicensePool, "licensePoolFeatures"> {
  features: s.PoolFeature[];
}
export interface RawLease extends s.Lease {
  serverId: string | undefined;
  serverName: string | undefined;
}

/** Items dropped because they could not be understood, by endpoint; they become a metric. */
export type InvalidCounts = Map<string, number>;

export interface ClsClient {
  listVirtualGroups(budget: Budget): Promise<RawVirtualGroup[]>;
  listLicenseServers(vgId: string, budget: Budget): Promise<RawServer[]>;
  listLicensePools(vgId: string, serverId: string, budget: Budget): Promise<RawPool[]>;
  listLeases(vgId: string, instanceId: string | undefined, budget: Budget): Promise<RawLease[]>;
}

const PAGE_SIZE = 100;
/** A guard against a server that never stops paging. */
const MAX_PAGES = 1_000;

type Envelope = keyof typeof s.envelopes;
type ListKey = "virtualGroups" | "licenseServers" | "licensePools" | "clients";

export interface ClientOptions {
  orgName: string;
  /** NVIDIA_SERVICE_INSTANCE_ID: sent on calls that have no per-server instance id. */
  serviceInstanceId: string | undefined;
  invalid: InvalidCounts;
}

export function createClient(get: HttpGet, opts: ClientOptions): ClsClient {
  const org = `/v1/org/${encodeURIComponent(opts.orgName)}`;
  const defaultHeaders: Record<string, string> = opts.serviceInstanceId ? { "x-nv-service-instance-id": opts.serviceInstanceId } : {};

  function parseItems<T extends z.ZodType>(endpoint: string, schema: T, items: readonly unknown[] | undefined): z.infer<T>[] {
    const out: z.infer<T>[] = [];
    for (const item of items ?? []) {
      s.takeUnreadable();
      const r = schema.safeParse(item);
      if (r.success) out.push(r.data);
      // Skipped (no id to join it by), or kept with its unreadable fields absent: counted either way.
      if (!r.success || s.takeUnreadable() > 0) opts.invalid.set(endpoint, (opts.invalid.get(endpoint) ?? 0) + 1);
    }
    return out;
  }

  interface ListCall {
    endpoint: Envelope;
    key: ListKey;
    path: string;
    headers: Record<string, string>;
    budget: Budget;
    /** Documented as paged: send page-number/page-size from the first call. */
    paged: boolean;
  }

  /** Walks pages; see cls-api README "Pagination" for why every stop rule is needed. */
  async function list({ endpoint, key, path, headers, budget, paged }: ListCall): Promise<unknown[]> {
    const all: unknown[] = [];
    const seen = new Set<string>();
    let pageSize = PAGE_SIZE;
    let firstLength = 0;
    for (let page = 1; page <= MAX_PAGES; page++) {
      const query: Record<string, string> = endpoint === "virtual_groups" ? { detailedView: "true" } : {};
      if (paged || page > 1) Object.assign(query, { "page-number": String(page), "page-size": String(pageSize) });
      const body = await get({ endpoint, path, query: Object.keys(query).length ? query : undefined, headers, budget });
      const parsed = s.envelopes[endpoint].safeParse(body);
      if (!parsed.success)
        throw new ClsError("decode", endpoint, `unexpected response shape: ${z.prettifyError(parsed.error).split("\n")[0]}`);
      const items = itemsOf(endpoint, key, parsed.data as Record<string, unknown>);
      // The first item of each id wins: overlapping pages or a repeated item must not count twice.
      const fresh = items.filter((item) => {
        const id = idOf(item);
        if (id === undefined) return true;
        if (seen.has(id)) return false;
        seen.add(id);
        return true;
      });
      if (fresh.length === 0) break;
      all.push(...fresh);
      const info = (parsed.data as { paginationInfo?: PaginationInfo }).paginationInfo;
      if (page === 1) {
        firstLength = items.length;
        // An endpoint paged on its own terms keeps its page size on later pages.
        if (!paged) pageSize = info?.pageSize ?? items.length;
      }
      if (!hasMorePages(info, { page, seen: all.length, pageLength: items.length, firstLength, paged })) break;
    }
    return all;
  }

  return {
    async listVirtualGroups(budget) {
      const path = `${org}/virtual-groups`;
      const items = await list({ endpoint: "virtual_groups", key: "virtualGroups", path, headers: defaultHeaders, budget, paged: true });
      return parseItems("virtual_groups", s.virtualGroup, items).map((vg) => ({
        id: vg.id,
        name: vg.name,
        entitlements: flattenEntitlements(vg.entitlements, (schema, xs) => parseItems("virtual_groups", schema, xs)),
      }));
    },
    async listLicenseServers(vgId, budget) {
      const path = `${org}/virtual-groups/${encodeURIComponent(vgId)}/license-servers`;
      const items = await list({ endpoint: "license_servers", key: "licenseServers", path, headers: defaultHeaders, budget, paged: true });
      return parseItems("license_servers", s.licenseServer, items).map(({ licenseServerFeatures, ...server }) => ({
        ...server,
        features: parseItems("license_servers", s.serverFeature, licenseServerFeatures),
      }));
    },
    async listLicensePools(vgId, serverId, budget) {
      const path = `${org}/virtual-groups/${encodeURIComponent(vgId)}/license-servers/${encodeURIComponent(serverId)}/license-pools`;
      const items = await list({ endpoint: "license_pools", key: "licensePools", path, headers: defaultHeaders, budget, paged: false });
      return parseItems("license_pools", s.licensePool, items).map(({ licensePoolFeatures, ...pool }) => ({
        ...pool,
        features: parseItems("license_pools", s.poolFeature, licensePoolFeatures),
      }));
    },
    async listLeases(vgId, instanceId, budget) {
      const path = `${org}/virtual-groups/${encodeURIComponent(vgId)}/leases/all`;
      const headers = instanceId ? { "x-nv-service-instance-id": instanceId } : defaultHeaders;
      const items = await list({ endpoint: "leases", key: "clients", path, headers, budget, paged: false });
      const clients = parseItems("leases", s.leaseClient, items);
      return clients.flatMap((c) =>
        parseItems("leases", s.lease, c.leases).map((l) => ({
          ...l,
          serverId: c.additionalProperties?.license_server_id || undefined,
          serverName: c.additionalProperties?.license_server_name || undefined,
        })),
      );
    },
  };
}

/** compressedClients, when present and non-empty, replaces clients. */
function itemsOf(endpoint: Envelope, key: ListKey, body: Record<string, unknown>): unknown[] {
  if (key === "clients" && typeof body.compressedClients === "string" && body.compressedClients.length > 0) {
    return decodeCompressedClients(body.compressedClients);
  }
  const items = body[key];
  if (key === "clients" && items === undefined) return [];
  if (!Array.isArray(items)) throw new ClsError("decode", endpoint, `"${key}" is not an array`);
  return items;
}

function decodeCompressedClients(b64: string): unknown[] {
  try {
    const json = new TextDecoder().decode(Bun.gunzipSync(Buffer.from(b64, "base64")));
    const clients = (JSON.parse(json) as { clients?: unknown }).clients;
    if (!Array.isArray(clients)) throw new Error("no clients array inside");
    return clients;
  } catch (err) {
    throw new ClsError("decode", "leases", `corrupt compressedClients (${(err as Error).message})`);
  }
}

type PaginationInfo = z.infer<typeof s.paginationInfo>;

function idOf(item: unknown): string | undefined {
  const id = (item as { id?: unknown } | null)?.id;
  return typeof id === "string" || typeof id === "number" ? String(id) : undefined;
}

/** More pages? Trust totals when CLS gives them; otherwise continue only after a full page. */
function hasMorePages(
  info: PaginationInfo,
  p: { page: number; seen: number; pageLength: number; firstLength: number; paged: boolean },
): boolean {
  if (info?.totalPages !== undefined) return p.page < info.totalPages;
  if (info?.totalElements !== undefined) return p.seen < info.totalElements;
  if (!p.paged) return false;
  return p.pageLength >= Math.min(PAGE_SIZE, p.firstLength) && p.pageLength >= (info?.pageSize ?? 0);
}

type ItemParser = <T extends z.ZodType>(schema: T, items: readonly unknown[] | undefined) => z.infer<T>[];

function flattenEntitlements(entitlements: readonly unknown[] | undefined, parse: ItemParser): RawEntitlementFeature[] {
  return parse(s.entitlement, entitlements).flatMap((e) =>
    parse(s.productKey, e.entitlementProductKeys).flatMap((k) =>
      parse(s.entitlementFeature, k.entitlementFeatures).map((f) => ({
        ...f,
        emsEntitlementId: e.emsEntitlementId ?? e.id,
        emsProductKeyId: k.emsProductKeyId,
      })),
    ),
  );
}
