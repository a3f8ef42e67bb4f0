/**
 * Paging as the fixtures assume it (member names and 1-based pages are ASSUMED, see README):
 * `page-number` from 1, `page-size` default 25, capped at 100. A page past the end is empty
 * but still carries totals, so clients can detect the end either way.
 */

const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;

export interface PaginationInfo {
  pageNumber: number;
  pageSize: number;
  totalPages: number;
  totalElements: number;
}

export type Page<T> = { items: T[]; info: PaginationInfo } | { error: string };

function positiveInt(raw: string | null, fallback: number, name: string): number | string {
  if (raw === null || raw === "") return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) return `${name} must be a positive integer, got "${raw}"`;
  return Number(raw);
}

export function paginate<T>(all: readonly T[], query: URLSearchParams): Page<T> {
  const pageNumber = positiveInt(query.get("page-number"), 1, "page-number");
  if (typeof pageNumber === "string") return { error: pageNumber };
  const size = positiveInt(query.get("page-size"), DEFAULT_PAGE_SIZE, "page-size");
  if (typeof size === "string") return { error: size };
  const pageSize = Math.min(size, MAX_PAGE_SIZE);
  const start = (pageNumber - 1) * pageSize;
  return {
    items: all.slice(start, start + pageSize),
    info: { pageNumber, pageSize, totalPages: Math.ceil(all.length / pageSize), totalElements: all.length },
  };
}

/**
 * The answer with its paginationInfo (when it has one) under other member names, as a changed API
 * might send it: {page, size, total, last}. A client that does not know them must fall back on its
 * other stop rules; --check lists them as not recognised.
 */
export function withUnknownPagingMembers(body: unknown): unknown {
  const b = body as { paginationInfo?: Partial<PaginationInfo> } | null;
  const info = b?.paginationInfo;
  if (!info || typeof info !== "object") return body;
  const { paginationInfo: _, ...rest } = b;
  const last = (info.pageNumber ?? 1) >= (info.totalPages ?? 0);
  return { ...rest, paginationInfo: { page: info.pageNumber, size: info.pageSize, total: info.totalElements, last } };
}
