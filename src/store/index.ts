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
