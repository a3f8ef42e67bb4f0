import { leases } from "./endpoints/leases.ts";
import { licensePools } from "./endpoints/license_pools.ts";
import { licenseServers } from "./endpoints/license_servers.ts";
import type { Call, Part, Source } from "./endpoints/row.ts";
import { virtualGroups } from "./endpoints/virtual_groups.ts";
import type { ObjectKind } from "./fields.ts";

/*
 * THE CLS endpoints the exporter reads: one row each, in src/cls/endpoints/<name>.ts (src/sim/README.md
 * says what is known of them). The client walks a row, fetchOrg walks the table; the endpoint's name is
 * the `endpoint` label of every self-metric, the field of every CLS error and the simulator's fault name.
 *
 * Adding an endpoint touches, in src/cls, only
 *   - src/cls/endpoints/<name>.ts: its row (path, paging, envelope with its answer's kind, item schema,
 *     flatten, `objects`: the kinds of object its answers hold with NVIDIA's documented names, and
 *     `from`: the parent endpoint and the calls it makes for each part of the parent);
 *   - this table: one line, after its parent;
 * and outside src/cls
 *   - src/snapshot/build.ts: what its rows become, read from `OrgData[<name>]`;
 *   - src/render/catalog.ts: the metrics they feed (with their rows in src/snapshot/types.ts when they
 *     are a new family);
 *   - src/snapshot/refresh-log.ts: what a 404 from it means (a record over EndpointName: the type
 *     checker asks for it);
 *   - the simulator (src/sim/routes.ts) to serve it, and the README list of `endpoint` label values.
 * The client, the page walk, fetchOrg, OrgData, the error types, the self-metrics and the health view
 * follow the table.
 */

export type { RawLease } from "./endpoints/leases.ts";
export type { RawServer } from "./endpoints/license_servers.ts";
export type { Call, Part } from "./endpoints/row.ts";
export { ORG_KEY, outermostId, partKey } from "./endpoints/row.ts";
export type { RawEntitlementFeature, RawVirtualGroup } from "./endpoints/virtual_groups.ts";

/** Upstream first, each child after its parent: a failure of an earlier endpoint starves the later ones (the refresh log ranks causes by this order). */
export const ENDPOINTS = {
  virtual_groups: virtualGroups,
  license_servers: licenseServers,
  license_pools: licensePools,
  leases,
};

type Table = typeof ENDPOINTS;
export type EndpointName = keyof Table;
/** Every endpoint name, in the table's (upstream-first) order. */
export const ENDPOINT_NAMES = Object.freeze(Object.keys(ENDPOINTS)) as readonly EndpointName[];
/** What `client.list(name, args)` needs to address the endpoint. */
export type ArgsOf<N extends EndpointName> = Parameters<Table[N]["path"]>[0];
/** What `client.list(name, …)` returns, one element per flattened row. */
export type RawOf<N extends EndpointName> = ReturnType<Table[N]["flatten"]>[number];

/**
 * Compile-time proof that the table is well formed: a child names an endpoint of the table, and its
 * calls read that endpoint's parts and address the child; a row without a parent needs no args.
 */
type Fits<N extends EndpointName> =
  NonNullable<Table[N]["from"]> extends Source<infer P, infer PArgs, infer PRaw, ArgsOf<N>>
    ? [P] extends [never]
      ? Record<string, never> extends ArgsOf<N>
        ? true
        : false
      : P extends EndpointName
        ? Part<ArgsOf<P>, RawOf<P>> extends Part<PArgs, PRaw>
          ? true
          : false
        : false
    : false;
type Assert<T extends true> = T;
export type TableIsWellFormed = Assert<false extends { [N in EndpointName]: Fits<N> }[EndpointName] ? false : true>;

/** The parent a row's calls come from; undefined for an org-level row. */
export const parentOf = (name: EndpointName): EndpointName | undefined => ENDPOINTS[name].from?.parent;

/** The rows whose calls come from `parent`'s parts (undefined: the org-level rows), in table order. */
export const childrenOf = (parent: EndpointName | undefined): readonly EndpointName[] =>
  ENDPOINT_NAMES.filter((n) => parentOf(n) === parent);

/** The calls `child` makes for one fetched part of its parent (TableIsWellFormed ties the two types). */
export function callsOf(child: EndpointName, part: Part<unknown, unknown>): Call<unknown>[] {
  const from = ENDPOINTS[child].from as { calls: (part: Part<unknown, unknown>) => Call<unknown>[] } | undefined;
  return from?.calls(part) ?? [];
}

/** The answer's kind, the row's list kinds and the kinds nested in them, each once. */
export function kindsOf(endpoint: EndpointName): ObjectKind[] {
  const row = ENDPOINTS[endpoint];
  const out: ObjectKind[] = [];
  const visit = (k: ObjectKind) => {
    if (out.some((o) => o.name === k.name)) return;
    out.push(k);
    for (const nested of Object.values(k.objects ?? {})) visit(nested);
  };
  for (const k of [row.envelope.answer, ...row.objects]) visit(k);
  return out;
}
