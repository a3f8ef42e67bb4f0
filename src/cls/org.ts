import pLimit from "p-limit";
import { realTimers, type Timers } from "../clock.ts";
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
  /** What the deadlines are scheduled with; the real timers when not given. */
  timers?: Timers;
}

export const emptyOrg = (): OrgData => Object.fromEntries(ENDPOINT_NAMES.map((n) => [n, new Map()])) as OrgData;

/**
 * Answers to the org-level call that no other call of the refresh can escape: a rejected key, an
 * unknown org, a host that cannot be reached, throttling (each after the call's retries).
 */
const ORG_WIDE: ReadonlySet<RefreshErrorReason> = new Set(["401", "403", "404", "429", "network"]);

/**
 * The org-level calls' share of the refresh (`timeoutMs`): all their attempts, pages and waits
 * together. A group list that hangs then leaves the other two thirds to fetch the rest from the last
 * known groups, as after a 5xx; a slow CLS needs a longer SCRAPE_TIMEOUT, which this share follows.
 */
export const ORG_SHARE = 1 / 3;
/** ORG_SHARE in words, for the error of a group list that outlasts it. */
const ORG_DEADLINE = "org-level deadline (a third of SCRAPE_TIMEOUT)";

/**
 * Walks the endpoint table: the org-level calls first, within ORG_SHARE of `timeoutMs`, then, as
 * each part arrives (fresh or its previous value), the calls of the rows below it, at most
 * `parallelism` at once in the order they are queued, all within `timeoutMs`. Today's table makes
 * `1 + V + S + I` calls (plus pages).
 */
export async function fetchOrg(client: ClsClient, previous: OrgData | undefined, opts: FetchOptions): Promise<OrgFetch> {
  const prev = previous ?? emptyOrg();
  const timers = opts.timers ?? realTimers;
  const refresh = deadline(timers, opts.now, opts.timeoutMs, opts.signal);
  const org = deadline(timers, opts.now, Math.floor(opts.timeoutMs * ORG_SHARE), refresh.signal, ORG_DEADLINE);
  try {
    const walk = new Walk(client, prev, refresh, pLimit(opts.parallelism));
    const roots = childrenOf(undefined);
    const fetched = await Promise.all(roots.map(async (endpoint) => ({ endpoint, rows: await walk.part(endpoint, ORG_CALL, org) })));
    org.clear();
    // A key CLS rejects, an org it does not know or a host out of reach fails every other call alike: none is made, and
    // the previous data stands (the caller serves it as it was, with up 0).
    if (walk.failures.some((f) => roots.includes(f.endpoint) && ORG_WIDE.has(f.reason)))
      return { data: prev, failures: walk.failures, succeeded: walk.succeeded };
    await Promise.all(fetched.map(({ endpoint, rows }) => rows && walk.below(endpoint, { ...ORG_CALL, rows })));
    return { data: walk.data, failures: walk.failures, succeeded: walk.succeeded };
  } finally {
    org.clear();
    refresh.clear();
  }
}

/** A budget of `ms` from now, aborted by `timers` or with `parent`; clear() drops its timer once it is no longer needed. */
function deadline(timers: Timers, now: () => number, ms: number, parent?: AbortSignal, name?: string): Budget & { clear(): void } {
  const own = new AbortController();
  const handle = timers.setTimeout(() => own.abort(new DOMException(name ?? "refresh deadline", "TimeoutError")), ms);
  const signal = parent ? AbortSignal.any([own.signal, parent]) : own.signal;
  return { signal, deadline: now() + ms, ...(name ? { name } : {}), clear: () => timers.clearTimeout(handle) };
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

  /** Fetches one part under the limit (within `budget`, the refresh's by default) and keeps it; on failure records it and keeps the previous value. */
  async part<N extends EndpointName>(endpoint: N, call: Call<ArgsOf<N>>, budget = this.budget): Promise<RawOf<N>[] | undefined> {
    const fallback = this.prev[endpoint].get(call.key);
    let rows: RawOf<N>[] | undefined;
    try {
      rows = await this.limit(() => this.client.list(endpoint, call.args, budget));
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
