import { ClsError } from "../errors.ts";
import type { EndpointName } from "./endpoints.ts";
import type { ClsLimits } from "./limits.ts";
import type { PaginationInfo } from "./schemas.ts";

/**
 * What one list's walk has taken, held against CLS_MAX_ITEMS and CLS_MAX_PAGES as each page
 * arrives. Going past either fails the walk with `too_large` (never retried) and a message naming
 * the bound and its setting: a truncated list is never served as if it were whole.
 */
export class PageBounds {
  private items = 0;

  constructor(
    private readonly endpoint: EndpointName,
    private readonly limits: Pick<ClsLimits, "maxItems" | "maxPages">,
    /** The row's weight of one raw element (src/cls/endpoints/row.ts); 1 each without it. */
    private readonly countItems?: (raw: unknown) => number,
  ) {}

  /**
   * Counts one page's raw elements, before they are parsed. A page longer than the page-size asked
   * (a server that ignores it) is counted in full, not cut to the size asked: its items are kept
   * when they fit, and CLS_MAX_ITEMS refuses it when they do not, however few pages came before.
   */
  count(page: readonly unknown[]): void {
    const weigh = this.countItems;
    if (!weigh) this.items += page.length;
    else
      for (const raw of page) {
        // At least the element itself: a weight CLS could drive to 0 or below would hide items.
        this.items += Math.max(1, weigh(raw));
        if (this.items > this.limits.maxItems) break;
      }
    if (this.items > this.limits.maxItems)
      throw this.tooLarge(`more than ${this.limits.maxItems} items (CLS_MAX_ITEMS)${weigh ? ", nested items included" : ""}`);
  }

  /**
   * The last page the walk may read: the one the totals CLS sends announce (totalPages, else
   * totalElements ÷ page size), within CLS_MAX_PAGES. Totals beyond a bound fail at once, before
   * any further page is read. Read from each page's totals, so a list that grows during the walk
   * moves the end with it.
   */
  lastPage(info: PaginationInfo, pageSize: number): number {
    const { maxItems, maxPages } = this.limits;
    const elements = info?.totalElements;
    if (elements !== undefined && elements > maxItems)
      throw this.tooLarge(`CLS announces ${elements} items, more than ${maxItems} (CLS_MAX_ITEMS)`);
    const announced = info?.totalPages ?? (elements === undefined ? undefined : Math.ceil(elements / Math.max(1, pageSize)));
    if (announced !== undefined && announced > maxPages)
      throw this.tooLarge(`CLS announces ${announced} pages, more than ${maxPages} (CLS_MAX_PAGES)`);
    return announced ?? maxPages;
  }

  /** The walk wants the page after `last`, the last page it may read: the list is longer than a bound allows. */
  pastLastPage(last: number): ClsError {
    if (last >= this.limits.maxPages) return this.tooLarge(`more than ${this.limits.maxPages} pages (CLS_MAX_PAGES)`);
    return this.tooLarge(`more pages than the ${last} paginationInfo announces`);
  }

  private tooLarge(detail: string): ClsError {
    return new ClsError("too_large", this.endpoint, `list refused: ${detail}`);
  }
}
