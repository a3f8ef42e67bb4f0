/**
 * Page and item faults: a list longer than any fixture, pages that ignore page-size, pages that
 * never end, a page repeated forever. The sizes are in the rule, so tests stay small and benchmarks
 * go large with the same code.
 */
import type { FaultRule } from "./faults.ts";
import { MAX_PAGE_SIZE, type PaginationInfo } from "./paging.ts";
import type { ClsResult } from "./routes.ts";

type Obj = Record<string, unknown>;

export const hasListFault = (rule: FaultRule | null): rule is FaultRule =>
  rule !== null && (rule.items !== undefined || rule.pageSize !== undefined || rule.endlessPages === true || rule.repeatPage !== undefined);

/**
 * The answer to one page under a list fault. The real answer's first page (up to 100 items,
 * requested through `serve`) is the template the list is built from; it is served plain
 * (`clients`, never `compressedClients`). Other members of the real answer are kept.
 */
export function serveListFault(rule: FaultRule, serve: (query: URLSearchParams) => ClsResult, query: URLSearchParams): ClsResult {
  const first = new URLSearchParams(query);
  first.set("page-number", "1");
  first.set("page-size", String(MAX_PAGE_SIZE));
  const real = serve(first);
  const body = { ...(real.body as Obj) };
  const key = Object.keys(body).find((k) => Array.isArray(body[k]));
  if (real.status !== 200 || key === undefined) return real;
  const template = body[key] as Obj[];
  const all = rule.items === undefined ? template : copies(template, 0, rule.items);
  const pageNumber = Number(query.get("page-number") ?? 1);
  const size = rule.pageSize ?? Number(query.get("page-size") ?? (rule.items === undefined ? template.length : all.length));
  const page = pageOf(rule, all, { pageNumber, size: Math.max(1, size), paged: body.paginationInfo !== undefined });
  body[key] = page.items;
  if (page.info) body.paginationInfo = page.info;
  else delete body.paginationInfo;
  return { status: 200, body };
}

function pageOf(
  rule: FaultRule,
  all: Obj[],
  { pageNumber, size, paged }: { pageNumber: number; size: number; paged: boolean },
): { items: Obj[]; info?: Partial<PaginationInfo> } {
  // Says one more page follows, whatever this one holds.
  const more = { pageNumber, pageSize: size, totalPages: pageNumber + 1 };
  if (rule.repeatPage !== undefined) {
    const items = all.slice(0, size);
    return { items: rule.repeatPage === "no-ids" ? items.map(withoutId) : items, info: more };
  }
  if (rule.endlessPages) return { items: copies(all, (pageNumber - 1) * size, size), info: more };
  const items = all.slice((pageNumber - 1) * size, pageNumber * size);
  // An endpoint that does not page sends a list that fits one page without paginationInfo, as CLS does.
  if (!paged && rule.pageSize === undefined && all.length <= size && pageNumber === 1) return { items };
  return { items, info: { pageNumber, pageSize: size, totalPages: Math.ceil(all.length / size), totalElements: all.length } };
}

/** `n` items cycling through `template`, the k-th (from `from`) beyond the template's length with ids made unique. */
function copies(template: readonly Obj[], from: number, n: number): Obj[] {
  if (template.length === 0) return [];
  const out: Obj[] = [];
  for (let k = from; k < from + n; k++) {
    const item = template[k % template.length]!;
    out.push(k < template.length ? item : uniqueCopy(item, k));
  }
  return out;
}

/** A copy whose id (and, for a lease client, whose leases' ids) end in `~k`. */
function uniqueCopy(item: Obj, k: number): Obj {
  const copy: Obj = { ...item };
  if (copy.id !== undefined) copy.id = `${String(copy.id)}~${k}`;
  if (Array.isArray(copy.leases)) copy.leases = (copy.leases as Obj[]).map((l) => ({ ...l, leaseId: `${String(l.leaseId)}~${k}` }));
  return copy;
}

function withoutId(item: Obj): Obj {
  const { id: _dropped, ...rest } = item;
  return rest;
}
