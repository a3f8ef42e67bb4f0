import type { Labels } from "../snapshot/types.ts";
import type { Point } from "./buckets.ts";
import type { HistoryKind } from "./observe.ts";

/**
 * What a history read asks and gets: the contract between the store and its readers (GET /history,
 * later reports). The store validates nothing here; the HTTP layer parses queries into this shape.
 */
export type HistoryFilter = Partial<Record<"virtual_group_id" | "server_id" | "feature_name" | "scope", string>>;

export interface HistoryQuery {
  kind: HistoryKind;
  filter: HistoryFilter;
  /** Unix seconds: the range is [from, to). */
  from: number;
  to: number;
  /** Bucket width in seconds. */
  step: number;
  /**
   * `step` is a floor, not a demand (the caller chose it, not the user): the store grows it along
   * ROUND_STEPS until the answer fits MAX_POINTS instead of refusing it.
   */
  fitStep?: boolean;
}

export interface SeriesResult {
  kind: HistoryKind;
  labels: Labels;
  capacity: number | null;
  points: Point[];
}

export interface Answer {
  /** The step used: raised to whole hours where the range reaches rolled-up data. */
  step: number;
  series: SeriesResult[];
}

/** Points one answer may hold (series × buckets): about 20 MB of JSON. */
export const MAX_POINTS = 250_000;

/** Step widths a chosen step is rounded up to (seconds); past a day, whole days. */
const ROUND_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1_800, 3_600, 7_200, 10_800, 21_600, 43_200, 86_400];

/** The smallest round step of at least `wanted` seconds. */
export function roundStep(wanted: number): number {
  return ROUND_STEPS.find((s) => s >= wanted) ?? Math.ceil(wanted / 86_400) * 86_400;
}

/** An answer that would exceed MAX_POINTS, refused before any row is read. */
export class TooManyPoints extends Error {
  override readonly name = "TooManyPoints";
  constructor(
    readonly series: number,
    readonly buckets: number,
  ) {
    super(`${series} series × ${buckets} points exceed ${MAX_POINTS}: narrow the filters or use a larger step`);
  }
}

/** Both lanes of /history queries are full: asked again later, it may be answered (see HistoryStore.query). */
export class HistoryBusy extends Error {
  override readonly name = "HistoryBusy";
  constructor(readonly lane: string) {
    super(`too many ${lane} history queries are waiting`);
  }
}

/** The query's signal aborted (its client went away or its time was up): it stopped at the next slice. */
export class QueryCancelled extends Error {
  override readonly name = "QueryCancelled";
  constructor(override readonly cause: unknown) {
    super("history query cancelled");
  }
}
