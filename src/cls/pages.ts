import { z } from "zod";
import { ClsError } from "../errors.ts";
import type { ByteBudget, ByteClaim } from "./budget.ts";
import { decodeCompressed } from "./compressed.ts";
import type { EndpointName } from "./endpoints.ts";
import type { FieldWatch } from "./fields.ts";
import type { Budget, HttpGet } from "./http.ts";
import type { ClsLimits } from "./limits.ts";
import { PageBounds } from "./page-bounds.ts";
import type { Envelope, EnvelopeSchema, PaginationInfo } from "./schemas.ts";

const PAGE_SIZE = 100;

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
  /** CLS_MAX_ITEMS and CLS_MAX_PAGES bound the walk; CLS_MAX_INFLATED_BYTES a compressed list. */
  limits: ClsLimits;
  /** The row's weight of one raw element (its `limits`); 1 each without it. */
  countItems?: ((raw: unknown) => number) | undefined;
  /** The byte budget shared with the reads in flight, for compressedClients inflates. */
  bytes?: ByteBudget;
  /** Hears the answer's top-level names and each page's paginationInfo members. */
  watch?: FieldWatch;
}

/**
 * Reads an endpoint page by page into its list's raw elements. The paging members CLS sends are
 * only partly documented, so every stop rule is needed: the totals when recognised, else an empty
 * page, a short page, or a page that repeats the previous one (no new ids; for items without ids,
 * the same content). Every page counts against CLS_MAX_ITEMS and CLS_MAX_PAGES as it arrives
 * (PageBounds): a list that needs more fails instead of being served cut short.
 */
export async function readPages(get: HttpGet, walk: PageWalk): Promise<unknown[]> {
  const all: unknown[] = [];
  const seen = new Set<string>();
  const bounds = new PageBounds(walk.endpoint, walk.limits, walk.countItems);
  let pageSize = PAGE_SIZE;
  let firstLength = 0;
  /** Elements received, duplicates included: the positions walked, which is what totalElements counts. */
  let received = 0;
  /** The previous page's digestOf, when it had items without ids. */
  let previous: number | bigint | undefined;
  /** The page being read was asked for because the totals announced it. */
  let announced = false;
  for (let page = 1; ; page++) {
    const { items, info } = await readPage(get, walk, page, pageSize);
    bounds.count(items);
    received += items.length;
    if (page === 1) {
      firstLength = items.length;
      // An endpoint paged on its own terms keeps its page size on later pages.
      if (!walk.paged) pageSize = info?.pageSize ?? items.length;
    }
    const last = bounds.lastPage(info, info?.pageSize && info.pageSize >= 1 ? info.pageSize : pageSize);
    if (items.length === 0) break;
    const fresh = freshItems(items, seen);
    if (fresh.length === 0 || (previous !== undefined && digestOf(items) === previous)) {
      if (announced) throw repeated(walk.endpoint, page);
      // Asked for only because the page before was full: a server that ignores page-number, or
      // answers past the end with its last page. What was read is the whole list.
      break;
    }
    // One by one: spreading a page of ~700,000 items as arguments overflows the stack.
    for (const item of fresh) all.push(item);
    if (!hasMorePages(info, { page, received, pageLength: items.length, firstLength, paged: walk.paged })) break;
    if (page >= last) throw bounds.pastLastPage(last);
    announced = info?.totalPages !== undefined || info?.totalElements !== undefined;
    // Only when there is a next page to compare with, so a list of one page is never hashed.
    previous = digestOf(items);
  }
  return all;
}

/**
 * One page and its items. When the list may come compressed, the answer's bytes stay held on the
 * shared budget (one claim, passed to get() and to the inflate) until its list is inflated or
 * refused: the parsed body and its base64 string live that long, and counting them keeps a burst of
 * compressed bombs from holding more than the budget between them.
 */
async function readPage(get: HttpGet, walk: PageWalk, page: number, pageSize: number) {
  const query: Record<string, string> = { ...walk.query };
  if (walk.paged || page > 1) Object.assign(query, { "page-number": String(page), "page-size": String(pageSize) });
  const { endpoint, path, headers, budget } = walk;
  const claim = walk.envelope.compressed === undefined ? undefined : walk.bytes?.open();
  try {
    const body = await get({ endpoint, path, query: Object.keys(query).length ? query : undefined, headers, budget, claim });
    walk.watch?.observe(endpoint, walk.envelope.answer, walk.schema, body);
    walk.watch?.page(endpoint, (body as { paginationInfo?: unknown } | null)?.paginationInfo);
    const parsed = walk.schema.safeParse(body);
    if (!parsed.success)
      throw new ClsError("decode", endpoint, `unexpected response shape: ${z.prettifyError(parsed.error).split("\n")[0]}`);
    return { items: await itemsOf(endpoint, walk.envelope, parsed.data, walk, claim), info: parsed.data.paginationInfo as PaginationInfo };
  } finally {
    claim?.release();
  }
}

/** The first item of each id wins: overlapping pages or a repeated item must not count twice. Items without an id all pass. */
function freshItems(items: readonly unknown[], seen: Set<string>): unknown[] {
  const fresh: unknown[] = [];
  for (const item of items) {
    const id = idOf(item);
    if (id !== undefined) {
      if (seen.has(id)) continue;
      seen.add(id);
    }
    fresh.push(item);
  }
  return fresh;
}

/** A page's content hash when some of its items have no id (ids tell a repeat of the others); else undefined. */
function digestOf(items: readonly unknown[]): number | bigint | undefined {
  return items.some((item) => idOf(item) === undefined) ? Bun.hash(JSON.stringify(items)) : undefined;
}

/**
 * A repeat of a page the totals announced: CLS says the list goes on but sends the same page again,
 * so what was read is not the whole list. A failure, not a stop: serving it would be silently short.
 */
function repeated(endpoint: EndpointName, page: number): ClsError {
  return new ClsError("decode", endpoint, `page ${page} repeats page ${page - 1} although paginationInfo announces more`);
}

/** The compressed copy, when present and non-empty, replaces the list; only a list that may be compressed may be absent. */
async function itemsOf(
  endpoint: EndpointName,
  e: Envelope,
  body: Record<string, unknown>,
  walk: PageWalk,
  claim: ByteClaim | undefined,
): Promise<unknown[]> {
  const packed = e.compressed === undefined ? undefined : body[e.compressed];
  if (typeof packed === "string" && packed.length > 0) {
    const bounds = { maxInflatedBytes: walk.limits.maxInflatedBytes, bytes: walk.bytes, signal: walk.budget.signal, claim };
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
  p: { page: number; received: number; pageLength: number; firstLength: number; paged: boolean },
): boolean {
  if (info?.totalPages !== undefined) return p.page < info.totalPages;
  if (info?.totalElements !== undefined) return p.received < info.totalElements;
  if (!p.paged) return false;
  return p.pageLength >= Math.min(PAGE_SIZE, p.firstLength) && p.pageLength >= (info?.pageSize ?? 0);
}
