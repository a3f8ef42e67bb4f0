/**
 * The history store as the rest of the exporter uses it: open and write (HistoryStore), and read
 * (HistoryStore.query with the query contract). Nothing outside src/store imports its other files.
 */
export { BackupRefused, type BackupResult, backupHistory } from "./backup.ts";
export { HISTORY_KINDS, type HistoryKind, KIND_LABELS } from "./observe.ts";
export { OwnerConflict, type OwnerIdentity } from "./owner.ts";
export { QUERY_OUTCOMES, type QueryOutcome } from "./queries.ts";
export {
  type Answer,
  HistoryBusy,
  type HistoryFilter,
  type HistoryQuery,
  QueryCancelled,
  roundStep,
  type SeriesResult,
  TooManyPoints,
} from "./query.ts";
export {
  RECOMMENDED_HEADROOM_PERCENT,
  type Report,
  type ReportFilter,
  type ReportForecast,
  type ReportQuery,
  type ReportRow,
  type ReportScope,
  type ReportSource,
} from "./report.ts";
export { type HistoryStats, HistoryStore, maxGapSeconds, type StoreOptions, storeHint } from "./store.ts";

import type { StoreError } from "../errors.ts";
import type { SnapshotSource } from "../snapshot/replica.ts";
import type { Snapshot } from "../snapshot/types.ts";
import type { QueryStats } from "./queries.ts";
import type { Answer, HistoryQuery } from "./query.ts";
import type { Report, ReportQuery } from "./report.ts";
import type { HistoryStats } from "./store.ts";

/**
 * What the exporter uses of a history store, whichever engine keeps it: HistoryStore (SQLite) and
 * PgHistoryBackend (PostgreSQL, src/store/pg/backend.ts) both satisfy it.
 */
export interface HistoryBackend {
  /**
   * Present when exporters of one org share the database and elect a leader (PostgreSQL): where this
   * one's snapshots come from. Absent: the exporter calls CLS itself and leads (nvidia_cls_leader 1).
   */
  readonly source?: SnapshotSource;
  /** Write failures by reason, the last write, the database's size when known, /history queries by outcome. */
  readonly stats: HistoryStats & Partial<QueryStats>;
  /** Queues the snapshot for writing, never on the caller's path; the latest offered wins over one still waiting. */
  offer(s: Snapshot): void;
  /** Why /history cannot answer or history is not written, or undefined when all is well. */
  unavailable(): StoreError | undefined;
  /** Called when the exporter is idle: hands back memory the engine can spare. */
  releaseMemory(): void;
  query(q: HistoryQuery, signal?: AbortSignal): Promise<Answer>;
  report(q: ReportQuery, current: Snapshot | undefined, signal?: AbortSignal): Promise<Report>;
  /** Starts roll-up and pruning on a timer (steps back to back while more is pending). */
  startMaintenance(): void;
  /** Writes what is queued and closes the database. */
  close(): Promise<void> | void;
}
