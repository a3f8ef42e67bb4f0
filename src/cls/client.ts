import type { z } from "zod";
import { type ArgsOf, ENDPOINT_NAMES, ENDPOINTS, type Endpoint, type EndpointName, type RawOf } from "./endpoints.ts";
import type { Budget, HttpGet } from "./http.ts";
import { readPages } from "./pages.ts";
import { createItemSchemas, type EnvelopeSchema, envelopeSchema, type Item, type ItemName, type ItemParser } from "./schemas.ts";

export type { RawEntitlementFeature, RawLease, RawPool, RawServer, RawVirtualGroup } from "./endpoints.ts";

/** Items dropped because they could not be understood, by endpoint; they become a metric. */
export type InvalidCounts = Map<EndpointName, number>;

export interface ClsClient {
  /** Every item of one endpoint (all pages read), validated and flattened as its row says. */
  list<N extends EndpointName>(endpoint: N, args: ArgsOf<N>, budget: Budget): Promise<RawOf<N>[]>;
}

export interface ClientOptions {
  orgName: string;
  /** NVIDIA_SERVICE_INSTANCE_ID: sent on calls that have no per-server instance id. */
  serviceInstanceId: string | undefined;
  invalid: InvalidCounts;
}

/** A row with its generic parameters widened, so one function can walk any of them. */
type AnyEndpoint<N extends EndpointName> = Endpoint<ArgsOf<N>, ItemName, RawOf<N>>;

export function createClient(get: HttpGet, opts: ClientOptions): ClsClient {
  const org = `/v1/org/${encodeURIComponent(opts.orgName)}`;
  const tally = { count: 0 };
  const schemas = createItemSchemas(tally);
  const envelopes = new Map<EndpointName, EnvelopeSchema>(ENDPOINT_NAMES.map((n) => [n, envelopeSchema(ENDPOINTS[n].envelope)]));

  function parserFor(endpoint: EndpointName): ItemParser {
    return <K extends ItemName>(name: K, items: readonly unknown[] | undefined) => {
      const schema: z.ZodType = schemas[name];
      const out: Item<K>[] = [];
      for (const item of items ?? []) {
        tally.count = 0;
        const r = schema.safeParse(item);
        // Item<K> is by definition what schemas[name] outputs.
        if (r.success) out.push(r.data as Item<K>);
        // Skipped (no id to join it by), or kept with its unreadable fields absent: counted either way.
        if (!r.success || tally.count > 0) opts.invalid.set(endpoint, (opts.invalid.get(endpoint) ?? 0) + 1);
      }
      return out;
    };
  }

  return {
    async list<N extends EndpointName>(endpoint: N, args: ArgsOf<N>, budget: Budget): Promise<RawOf<N>[]> {
      const row = ENDPOINTS[endpoint] as AnyEndpoint<N>;
      const instance = row.instanceId?.(args) || opts.serviceInstanceId;
      const items = await readPages(get, {
        endpoint,
        path: `${org}${row.path(args)}`,
        query: row.query,
        headers: instance ? { "x-nv-service-instance-id": instance } : {},
        budget,
        envelope: row.envelope,
        schema: envelopes.get(endpoint)!,
        paged: row.paged,
      });
      const parse = parserFor(endpoint);
      return parse(row.item, items).flatMap((item) => row.flatten(item, parse));
    },
  };
}
