/** The history store as production opens it, on a file (or a PostgreSQL database) of the benchmark, with its warnings counted. */

import { createLogger } from "../../src/log.ts";
import type { Snapshot } from "../../src/snapshot/types.ts";
import { PgHistoryStore } from "../../src/store/pg/store.ts";
import { HistoryStore } from "../../src/store/store.ts";
import { MAX_GAP_S, ORG, RAW_RETENTION_S, RETENTION_S } from "./options.ts";

/** The store's warnings and errors go to stderr and are counted: the report states how many there were. */
export class StoreLog {
  problems = 0;
  readonly logger = createLogger({
    level: "warn",
    write: (line) => {
      this.problems++;
      process.stderr.write(`history: store: ${line}`);
    },
  });
}

/**
 * What the benchmark measures of either engine: HistoryStore (SQLite, synchronous writes) and
 * PgHistoryStore (PostgreSQL, asynchronous) answer the same HistoryQuery and ReportQuery; a caller
 * awaits every call, which costs the synchronous one nothing.
 */
export interface EngineStore {
  query: HistoryStore["query"];
  report: HistoryStore["report"];
  restore(): Snapshot | undefined | Promise<Snapshot | undefined>;
  record(s: Snapshot): unknown;
  close(): unknown;
  readonly stats: { writeErrors: Map<string, number> };
}

const settings = (now: () => number, log: StoreLog, rawRetentionS: number) => ({
  orgName: ORG,
  maxGapS: MAX_GAP_S,
  rawRetentionS,
  retentionS: RETENTION_S,
  now,
  log: log.logger,
});

/** A HistoryStore of the benchmark's org with production's settings (a shorter raw retention for the worst case). */
export function openStore(path: string, log: StoreLog, now: () => number, rawRetentionS = RAW_RETENTION_S): HistoryStore {
  return new HistoryStore({ path, ...settings(now, log, rawRetentionS) });
}

/** A PgHistoryStore of the benchmark's org on the database at `url`, with production's settings. */
export function openPgStore(url: string, log: StoreLog, now: () => number): Promise<PgHistoryStore> {
  return PgHistoryStore.open({ url, ...settings(now, log, RAW_RETENTION_S) });
}
