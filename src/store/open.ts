import type { Config } from "../config/index.ts";
import type { Logger } from "../log.ts";
import { HistoryStore } from "./store.ts";

/**
 * Refreshes at most this far apart join their rows. One refresh runs every CACHE_TTL after the last
 * one ended and takes up to SCRAPE_TIMEOUT; one refresh that fetched nothing may be missing in between.
 */
export function maxGapSeconds(cacheTtlMs: number, scrapeTimeoutMs: number): number {
  return Math.ceil((2 * (cacheTtlMs + scrapeTimeoutMs)) / 1000) + 1;
}

/** The store as configured; opening never throws (a failure is logged and /history says 503). */
export function openHistory(config: Config, deps: { now: () => number; log: Logger }): HistoryStore {
  return new HistoryStore({
    path: config.dbPath,
    orgName: config.orgName,
    maxGapS: maxGapSeconds(config.cacheTtlMs, config.scrapeTimeoutMs),
    rawRetentionS: config.historyRawRetentionMs / 1000,
    retentionS: config.historyRetentionMs / 1000,
    now: deps.now,
    log: deps.log,
  });
}
