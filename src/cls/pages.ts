import { z } from "zod";
import { ClsError } from "../errors.ts";
import type { ByteBudget } from "./budget.ts";
import { decodeCompressed } from "./compressed.ts";
import type { EndpointName } from "./endpoints.ts";
import type { Budget, HttpGet } from "./http.ts";
import type { ClsLimits } from "./limits.ts";
import type { Envelope, EnvelopeSchema, PaginationInfo } from "./schemas.ts";

const PAGE_SIZE = 100;
/** A guard against a server that never stops paging. */
const MAX_PAGES = 1_000;

export interface PageWalk {
  endpoint: EndpointName;
  path: string;
  query: Readonly<Record<string, string>> | undefined;
  headers: Record<string, string>;
  budget: Budget;
  envelope: Envelope;
  /** envelopeSchema(envelope), built once per client. */
  schema: EnvelopeSchema;
  /** Documented as paged: send page-number/page-size from the first call. */
  paged: boolean;
  limits: ClsLimits;
  /** The byte budget shared with the reads in flight, for compressedClients inflates. */
  bytes?: ByteBudget;
}

/**
 * Reads an endpoint page by page into its list's raw elements. The paging members CLS sends are
 * only partly documented, so every stop rule is needed: the totals when recognised, else an empty
 * page, a short page, or a page that repeats the previous page's ids.
 */
export async function readPages(get: HttpGet, walk: PageWalk): Promise<unknown[]> {
  const all: unknown[] = [];
  const seen = new Set<string>();
  let pageSize = PAGE_SIZE;
  let firstLength = 0;
  for (let page = 1; page <= MAX_PAGES; page++) {
    const query: Record<string, string> = { ...walk.query };
    if (walk.paged || page > 1) Object.assign(query, { "page-number": String(page), "page-size": String(pageSize) });
    const { endpoint, path, headers, budget } = walk;
    const body = await get({ endpoint, path, query: Object.keys(query).length ? query : undefined, headers, budget });
    const parsed = walk.schema.safeParse(body);
    if (!parsed.success)
      throw new ClsError("decode", endpoint, `unexpected response shape: ${z.prettifyError(parsed.error).split("\n")[0]}`);
    const items = await itemsOf(endpoint, walk.envelope, parsed.data, walk);
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
    const info = parsed.data.paginationInfo as PaginationInfo;
    if (page === 1) {
      firstLength = items.length;
      // An endpoint paged on its own terms keeps its page size on later pages.
      if (!walk.paged) pageSize = info?.pageSize ?? items.length;
    }
    if (!hasMorePages(info, { page, seen: all.length, pageLength: items.length, firstLength, paged: walk.paged })) break;
  }
  return all;
}

/** The compressed copy, when present and non-empty, replaces the list; only a list that may be compressed may be absent. */
async function itemsOf(endpoint: EndpointName, e: Envelope, body: Record<string, unknown>, walk: PageWalk): Promise<unknown[]> {
  const packed = e.compressed === undefined ? undefined : body[e.compressed];
  if (typeof packed === "string" && packed.length > 0) {
    const bounds = { maxInflatedBytes: walk.limits.maxInflatedBytes, bytes: walk.bytes, signal: walk.budget.signal };
    return decodeCompressed(endpoint, e, packed, bounds);
  }
  return (body[e.list] as unknown[] | undefined) ?? [];
}

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
