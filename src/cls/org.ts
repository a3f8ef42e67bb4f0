import pLimit from "p-limit";
import { ClsError, type RefreshErrorReason } from "../errors.ts";
import type { ClsClient } from "./client.ts";
import { type ArgsOf, type Call, callsOf, childrenOf, ENDPOINT_NAMES, type EndpointName, ORG_KEY, type RawOf } from "./endpoints.ts";
import type { Budget } from "./http.ts";

/**
 * Everything one refresh knows about the org: per endpoint, its parts by the key of the call that
 * fetched each (the row's `from.calls` says how it keys them; an org-level row has one part, ORG_KEY).
 * Parts fail on their own; a part that fails keeps its previous value, so its series do not vanish
 * (README "How a refresh works").
 */
export type OrgData = { [N in EndpointName]: Map<string, RawOf<N>[]> };

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

export const emptyOrg = (): OrgData => Object.fromEntries(ENDPOINT_NAMES.map((n) => [n, new Map()])) as OrgData;

/**
 * Answers to the org-level call that no other call of the refresh can escape: a rejected key, an
 * unknown org, a host that cannot be reached, throttling (each after the call's retries).
 */
const ORG_WIDE: ReadonlySet<RefreshErrorReason> = new Set(["401", "403", "404", "429", "network"]);

/**
 * Walks the endpoint table: the org-level calls first, then, as each part arrives (fresh or its
 * previous value), the calls of the rows below it, at most `parallelism` at once in the order they
 * are queued, all within `timeoutMs`. Today's table makes `1 + V + S + I` calls (plus pages).
 */
export async function fetchOrg(client: ClsClient, previous: OrgData | undefined, opts: FetchOptions): Promise<OrgFetch> {
  const prev = previous ?? emptyOrg();
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const budget = { signal: opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout, deadline: opts.now() + opts.timeoutMs };
  const walk = new Walk(client, prev, budget, pLimit(opts.parallelism));
  const roots = childrenOf(undefined);
  const fetched = await Promise.all(roots.map(async (endpoint) => ({ endpoint, rows: await walk.part(endpoint, ORG_CALL) })));
  // A key CLS rejects, an org it does not know or a host out of reach fails every other call alike: none is made, and
  // the previous data stands (the caller serves it as it was, with up 0).
  if (walk.failures.some((f) => roots.includes(f.endpoint) && ORG_WIDE.has(f.reason)))
    return { data: prev, failures: walk.failures, succeeded: walk.succeeded };
  await Promise.all(fetched.map(({ endpoint, rows }) => rows && walk.below(endpoint, { ...ORG_CALL, rows })));
  return { data: walk.data, failures: walk.failures, succeeded: walk.succeeded };
}

const ORG_CALL: Call<Record<string, never>> = { key: ORG_KEY, args: {} };

/** One refresh's walk: what it fetched, what failed. */
class Walk {
  readonly data = emptyOrg();
  readonly failures: PartFailure[] = [];
  succeeded = 0;

  constructor(
    private readonly client: ClsClient,
    private readonly prev: OrgData,
    private readonly budget: Budget,
    private readonly limit: ReturnType<typeof pLimit>,
  ) {}

  /** Fetches one part under the limit and keeps it; on failure records it and keeps the previous value. */
  async part<N extends EndpointName>(endpoint: N, call: Call<ArgsOf<N>>): Promise<RawOf<N>[] | undefined> {
    const fallback = this.prev[endpoint].get(call.key);
    let rows: RawOf<N>[] | undefined;
    try {
      rows = await this.limit(() => this.client.list(endpoint, call.args, this.budget));
      this.succeeded++;
    } catch (err) {
      const e = err instanceof ClsError ? err : new ClsError("decode", endpoint, (err as Error).message);
      const status = e.status === undefined ? {} : { status: e.status };
      this.failures.push({ endpoint: e.endpoint, reason: e.reason, ...status, message: e.message, stale: fallback !== undefined });
      rows = fallback;
    }
    if (rows) this.data[endpoint].set(call.key, rows);
    return rows;
  }

  /** The parts of the rows below `parent`, from one of its parts: each row's calls in table order, queued at once. */
  async below(parent: EndpointName, part: Call<unknown> & { rows: readonly unknown[] }): Promise<void> {
    const walks = childrenOf(parent).flatMap((child) => callsOf(child, part).map((call) => this.subtree(child, call)));
    await Promise.all(walks);
  }

  private async subtree(endpoint: EndpointName, call: Call<unknown>): Promise<void> {
    // callsOf returns what the child's row addresses (TableIsWellFormed).
    const rows = await this.part(endpoint, call as Call<ArgsOf<typeof endpoint>>);
    if (rows) await this.below(endpoint, { ...call, rows });
  }
}
