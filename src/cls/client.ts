import type { z } from "zod";
import type { ByteBudget } from "./budget.ts";
import type { Endpoint } from "./endpoints/row.ts";
import { type ArgsOf, ENDPOINT_NAMES, ENDPOINTS, type EndpointName, type RawOf } from "./endpoints.ts";
import { type FieldSink, FieldWatch } from "./fields.ts";
import type { Budget, HttpGet } from "./http.ts";
import { type ClsLimits, DEFAULT_CLS_LIMITS } from "./limits.ts";
import { readPages } from "./pages.ts";
import { type EnvelopeSchema, envelopeSchema, type InvalidKind, type ItemParser, type ItemSchema, tolerantFields } from "./schemas.ts";

export type { RawLease, RawServer } from "./endpoints.ts";

/** Items dropped because they could not be understood, by endpoint; they become a metric. */
export type InvalidCounts = Map<EndpointName, number>;
/** Why a counted item was: `no_id` for an item dropped without a readable id, else the kinds its fields heard. */
export type InvalidReason = InvalidKind | "no_id";
/** The same items by endpoint and reason (an item with two faults counts under both); the refresh log names them. */
export type InvalidReasons = Map<EndpointName, Map<InvalidReason, number>>;

export interface ClsClient {
  /** Every item of one endpoint (all pages read), validated and flattened as its row says. */
  list<N extends EndpointName>(endpoint: N, args: ArgsOf<N>, budget: Budget): Promise<RawOf<N>[]>;
}

export interface ClientOptions {
  orgName: string;
  /** NVIDIA_SERVICE_INSTANCE_ID: sent on calls that have no per-server instance id. */
  serviceInstanceId: string | undefined;
  invalid: InvalidCounts;
  /** When given, filled alongside `invalid`. */
  invalidReasons?: InvalidReasons;
  /** What one list may hold; DEFAULT_CLS_LIMITS when not given. */
  limits?: ClsLimits;
  /** The byte budget the HTTP layer's reads share; compressedClients inflates take from it too. */
  bytes?: ByteBudget;
  /** Told of each distinct field name CLS sends (and each page's paging members); names only. */
  fields?: FieldSink;
}

/** A row with its generic parameters widened, so one function can walk any of them. */
type AnyEndpoint<N extends EndpointName> = Endpoint<ArgsOf<N>, unknown, RawOf<N>>;

export function createClient(get: HttpGet, opts: ClientOptions): ClsClient {
  const org = `/v1/org/${encodeURIComponent(opts.orgName)}`;
  /**
   * Fields of the item being parsed that held a value of the wrong type (and were read as absent).
   * The parser resets it before each item and reads it after: an item with any is counted as invalid,
   * while kept. Parsing is synchronous, so one tally per client serves every item in turn.
   */
  const tally = { kinds: new Set<InvalidKind>() };
  const limits = opts.limits ?? DEFAULT_CLS_LIMITS;
  const fields = tolerantFields((why) => tally.kinds.add(why), limits.maxStringLength);
  /** Each item schema built once per client, around its tally. */
  const built = new Map<ItemSchema, z.ZodType>();
  function schemaOf(itemSchema: ItemSchema): z.ZodType {
    const have = built.get(itemSchema);
    if (have) return have;
    const schema = itemSchema(fields);
    built.set(itemSchema, schema);
    return schema;
  }
  const watch = new FieldWatch(opts.fields);
  const envelopes = new Map<EndpointName, EnvelopeSchema>(ENDPOINT_NAMES.map((n) => [n, envelopeSchema(ENDPOINTS[n].envelope)]));

  function count(endpoint: EndpointName, reasons: Iterable<InvalidReason>): void {
    opts.invalid.set(endpoint, (opts.invalid.get(endpoint) ?? 0) + 1);
    if (!opts.invalidReasons) return;
    const byReason = opts.invalidReasons.get(endpoint) ?? new Map<InvalidReason, number>();
    for (const reason of reasons) byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
    opts.invalidReasons.set(endpoint, byReason);
  }

  function parserFor(endpoint: EndpointName): ItemParser {
    return <T>(itemSchema: ItemSchema<T>, items: readonly unknown[] | undefined) => {
      const schema = schemaOf(itemSchema);
      const out: T[] = [];
      for (const item of items ?? []) {
        watch.observe(endpoint, itemSchema.kind, schema, item);
        tally.kinds.clear();
        const r = schema.safeParse(item);
        // T is by definition what itemSchema's schema outputs.
        if (r.success) out.push(r.data as T);
        // Skipped (no id to join it by, or one too long), or kept with its unreadable fields absent or cut: counted either way.
        if (!r.success && !tally.kinds.has("too_long")) count(endpoint, [...tally.kinds, "no_id"]);
        else if (tally.kinds.size > 0) count(endpoint, tally.kinds);
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
        limits,
        countItems: row.limits?.countItems,
        bytes: opts.bytes,
        watch,
      });
      const parse = parserFor(endpoint);
      const rows: RawOf<N>[] = [];
      // Appended one by one: the flattened list is the longest of all (a client's leases).
      for (const item of parse(row.schema, items)) for (const flat of row.flatten(item, parse)) rows.push(flat);
      return rows;
    },
  };
}
