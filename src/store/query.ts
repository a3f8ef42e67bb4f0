import type { Labels } from "../snapshot/types.ts";
import type { Point } from "./buckets.ts";
import type { HistoryKind } from "./observe.ts";

/**
 * What a history read asks and gets: the contract between the store and its readers (GET /history,
 * later reports). The store validates nothing here; the HTTP layer parses queries into this shape.
 */
export type HistoryFilter = Partial<Record<"virtual_group_id" | "server_id" | "feature_name", string>>;

export interface HistoryQuery {
  kind: HistoryKind;
  filter: HistoryFilter;
  /** Unix seconds: the range is [from, to). */
  from: number;
  to: number;
  /** Bucket width in seconds. */
  step: number;
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
