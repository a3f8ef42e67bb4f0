import pLimit from "p-limit";
import { ClsError, type RefreshErrorReason } from "../errors.ts";
import type { ClsClient } from "./client.ts";
import type { ArgsOf, EndpointName, RawLease, RawOf, RawPool, RawServer, RawVirtualGroup } from "./endpoints.ts";

/**
 * Everything one refresh knows about the org, in parts that can fail on their own. A part that
 * fails keeps its previous value, so its series do not vanish (DESIGN.md "Refresh semantics").
 */
export interface OrgData {
  virtualGroups: RawVirtualGroup[] | undefined;
  /** By virtual group id. */
  servers: Map<string, RawServer[]>;
  /** By `${vgId}/${serverId}`. */
  pools: Map<string, RawPool[]>;
  /** By `${vgId}/${serviceInstanceId}` ("" when the servers name no instance). */
  leases: Map<string, RawLease[]>;
}

export interface PartFailure {
  endpoint: EndpointName;
  reason: RefreshErrorReason;
  /** The exact HTTP status, when CLS answered with one (`reason` holds its class). */
  status?: number;
  message: string;
  /** True when the previous value of the part is being served instead. */
  stale: boolean;
}

export interface OrgFetch {
  data: OrgData;
  failures: PartFailure[];
  /** Parts fetched fresh; 0 means everything served is old. */
  succeeded: number;
}

export interface FetchOptions {
  parallelism: number;
  timeoutMs: number;
  now: () => number;
  /** Aborts the refresh early (shutdown). */
  signal?: AbortSignal;
}

export const emptyOrg = (): OrgData => ({ virtualGroups: undefined, servers: new Map(), pools: new Map(), leases: new Map() });

/**
 * Answers to the org-level call that no other call of the refresh can escape: a rejected key, an
 * unknown org, a host that cannot be reached, throttling (each after the call's retries).
 */
const ORG_WIDE: ReadonlySet<RefreshErrorReason> = new Set(["401", "403", "404", "429", "network"]);

/** `1 + V + S + I` calls (plus pages) at most `parallelism` at once, all within `timeoutMs`. */
export async function fetchOrg(client: ClsClient, previous: OrgData | undefined, opts: FetchOptions): Promise<OrgFetch> {
  const prev = previous ?? emptyOrg();
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const budget = { signal: opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout, deadline: opts.now() + opts.timeoutMs };
  const limit = pLimit(opts.parallelism);
  const data = emptyOrg();
  const failures: PartFailure[] = [];
  let succeeded = 0;

  /** Fetches one part under the limit; on failure records it and returns the previous value. */
  async function part<N extends EndpointName>(endpoint: N, args: ArgsOf<N>, fallback: RawOf<N>[] | undefined) {
    try {
      const value = await limit(() => client.list(endpoint, args, budget));
      succeeded++;
      return value;
    } catch (err) {
      const e = err instanceof ClsError ? err : new ClsError("decode", endpoint, (err as Error).message);
      const status = e.status === undefined ? {} : { status: e.status };
      failures.push({ endpoint: e.endpoint, reason: e.reason, ...status, message: e.message, stale: fallback !== undefined });
      return fallback;
    }
  }

  data.virtualGroups = await part("virtual_groups", {}, prev.virtualGroups);
  // A key CLS rejects, an org it does not know or a host out of reach fails every other call alike: none is made, and
  // the previous data stands (the caller serves it as it was, with up 0).
  const orgWide = failures.find((f) => f.endpoint === "virtual_groups" && ORG_WIDE.has(f.reason));
  if (orgWide) return { data: prev, failures, succeeded };
  await Promise.all(
    (data.virtualGroups ?? []).map(async (vg) => {
      const servers = await part("license_servers", { vgId: vg.id }, prev.servers.get(vg.id));
      if (!servers) return;
      data.servers.set(vg.id, servers);
      const pools = servers.map(async (server) => {
        const key = `${vg.id}/${server.id}`;
        const got = await part("license_pools", { vgId: vg.id, serverId: server.id }, prev.pools.get(key));
        if (got) data.pools.set(key, got);
      });
      const leases = instancesOf(servers).map(async (instance) => {
        const key = `${vg.id}/${instance}`;
        const got = await part("leases", { vgId: vg.id, instanceId: instance || undefined }, prev.leases.get(key));
        if (got) data.leases.set(key, got);
      });
      await Promise.all([...pools, ...leases]);
    }),
  );
  return { data, failures, succeeded };
}

/** One leases call per distinct service instance; "" stands for servers that name none. */
function instancesOf(servers: readonly RawServer[]): string[] {
  return [...new Set(servers.map((s) => s.serviceInstanceId ?? ""))];
}
