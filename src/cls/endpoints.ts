import type {
  EntitlementFeature,
  Envelope,
  Item,
  ItemName,
  ItemParser,
  Lease,
  LicensePool,
  LicenseServer,
  PoolFeature,
  ServerFeature,
} from "./schemas.ts";

/*
 * THE CLS endpoints the exporter reads: one row each (src/sim/README.md says what is
 * known of them). The client walks a row; the endpoint's name is the `endpoint` label of every
 * self-metric, the field of every CLS error and the simulator's fault name.
 */

/** Typed, validated CLS data, flattened where the API nests it. */
export interface RawVirtualGroup {
  id: string;
  name: string | undefined;
  entitlements: RawEntitlementFeature[];
}
export interface RawEntitlementFeature extends EntitlementFeature {
  emsEntitlementId: string | undefined;
  emsProductKeyId: string | undefined;
}
export interface RawServer extends Omit<LicenseServer, "licenseServerFeatures"> {
  features: ServerFeature[];
}
export interface RawPool extends Omit<LicensePool, "licensePoolFeatures"> {
  features: PoolFeature[];
}
export interface RawLease extends Lease {
  serverId: string | undefined;
  serverName: string | undefined;
}

/** Bounds on what one answer of the endpoint may hold. No row sets them yet; exceeding one will be the `too_large` refresh error. */
export interface EndpointLimits {
  maxItems?: number;
  maxBytes?: number;
}

export interface Endpoint<Args, K extends ItemName, Raw> {
  /** Below `/v1/org/{org-name}`; ids are URL-encoded here. */
  path: (args: Args) => string;
  /** Documented as paged: page-number and page-size are sent from the first call. Others page only if CLS says so. */
  paged: boolean;
  query?: Readonly<Record<string, string>>;
  envelope: Envelope;
  /**
   * The x-nv-service-instance-id this call is made for. When it names none (or the row has no such
   * rule), NVIDIA_SERVICE_INSTANCE_ID is sent if it is set.
   */
  instanceId?: (args: Args) => string | undefined;
  /** The schema of one element of the envelope's list. */
  item: K;
  /** One list element → the rows the rest of the exporter reads, nested lists parsed with `parse`. */
  flatten: (item: Item<K>, parse: ItemParser) => Raw[];
  limits?: EndpointLimits;
}

const row = <Args, K extends ItemName, Raw>(e: Endpoint<Args, K, Raw>) => e;
const group = (a: { vgId: string }) => `/virtual-groups/${encodeURIComponent(a.vgId)}`;

/** Upstream first: a failure of an earlier endpoint starves the later ones (the refresh log ranks causes by this order). */
export const ENDPOINTS = {
  virtual_groups: row({
    path: (_: Record<string, never>) => "/virtual-groups",
    paged: true,
    // Nested entitlements come only with detailedView (documented default: false).
    query: { detailedView: "true" },
    envelope: { list: "virtualGroups" },
    item: "virtualGroup",
    flatten: (vg, parse): RawVirtualGroup[] => [{ id: vg.id, name: vg.name, entitlements: flattenEntitlements(vg.entitlements, parse) }],
  }),
  license_servers: row({
    path: (a: { vgId: string }) => `${group(a)}/license-servers`,
    paged: true,
    envelope: { list: "licenseServers" },
    item: "licenseServer",
    flatten: ({ licenseServerFeatures, ...server }, parse): RawServer[] => [
      { ...server, features: parse("serverFeature", licenseServerFeatures) },
    ],
  }),
  license_pools: row({
    path: (a: { vgId: string; serverId: string }) => `${group(a)}/license-servers/${encodeURIComponent(a.serverId)}/license-pools`,
    paged: false,
    envelope: { list: "licensePools" },
    item: "licensePool",
    flatten: ({ licensePoolFeatures, ...pool }, parse): RawPool[] => [{ ...pool, features: parse("poolFeature", licensePoolFeatures) }],
  }),
  leases: row({
    path: (a: { vgId: string; instanceId: string | undefined }) => `${group(a)}/leases/all`,
    paged: false,
    envelope: { list: "clients", compressed: "compressedClients" },
    instanceId: (a) => a.instanceId,
    item: "leaseClient",
    flatten: (client, parse): RawLease[] =>
      parse("lease", client.leases).map((lease) => ({
        ...lease,
        serverId: client.additionalProperties?.license_server_id || undefined,
        serverName: client.additionalProperties?.license_server_name || undefined,
      })),
  }),
};

export type EndpointName = keyof typeof ENDPOINTS;
/** Every endpoint name, in the table's (upstream-first) order. */
export const ENDPOINT_NAMES = Object.freeze(Object.keys(ENDPOINTS)) as readonly EndpointName[];
/** What `client.list(name, args)` needs to address the endpoint. */
export type ArgsOf<N extends EndpointName> = Parameters<(typeof ENDPOINTS)[N]["path"]>[0];
/** What `client.list(name, …)` returns, one element per flattened row. */
export type RawOf<N extends EndpointName> = ReturnType<(typeof ENDPOINTS)[N]["flatten"]>[number];

/** Entitlements → product keys → features, one row per feature with the ids of its entitlement and key. */
function flattenEntitlements(entitlements: readonly unknown[] | undefined, parse: ItemParser): RawEntitlementFeature[] {
  return parse("entitlement", entitlements).flatMap((e) =>
    parse("productKey", e.entitlementProductKeys).flatMap((k) =>
      parse("entitlementFeature", k.entitlementFeatures).map((f) => ({
        ...f,
        emsEntitlementId: e.emsEntitlementId ?? e.id,
        emsProductKeyId: k.emsProductKeyId,
      })),
    ),
  );
}
