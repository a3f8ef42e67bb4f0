/** The history store as production opens it, on a file of the benchmark, with its warnings counted. */

import { createLogger } from "../../src/log.ts";
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

/** A HistoryStore of the benchmark's org with production's settings (a shorter raw retention for the worst case). */
export function openStore(path: string, log: StoreLog, now: () => number, rawRetentionS = RAW_RETENTION_S): HistoryStore {
  return new HistoryStore({ path, orgName: ORG, maxGapS: MAX_GAP_S, rawRetentionS, retentionS: RETENTION_S, now, log: log.logger });
}
