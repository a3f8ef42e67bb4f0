/**
 * The bounds on what CLS may send, so memory and time depend on configuration, never on the answer.
 * Each is a setting (src/config/settings.ts, CLS_MAX_*); going past one fails that part of the refresh
 * with reason `too_large` (never retried), or, for a string, makes its item invalid or truncated.
 */
export interface ClsLimits {
  /** Bytes of one answer, as read after any Content-Encoding is undone. */
  maxResponseBytes: number;
  /** Bytes of a compressed list (compressedClients) once inflated. */
  maxInflatedBytes: number;
  /**
   * Items of one list, all pages of one call together, weighed by the row (a lease list counts its
   * leases too). 200,000: twice the longest list of the largest org modelled, 100,000 virtual groups.
   */
  maxItems: number;
  /** Pages of one call. 2,000: maxItems at the page size of 100 the exporter asks for, so a list within maxItems never hits it first. */
  maxPages: number;
  /** Characters of one string field. */
  maxStringLength: number;
}

/** The settings' defaults (test/unit/config.test.ts holds them equal): what a client built without a Config gets. */
export const DEFAULT_CLS_LIMITS: Readonly<ClsLimits> = Object.freeze({
  maxResponseBytes: 8 * 2 ** 20,
  maxInflatedBytes: 8 * 2 ** 20,
  maxItems: 200_000,
  maxPages: 2_000,
  maxStringLength: 1_024,
});
