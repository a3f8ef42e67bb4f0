import type { DEMAND_SCOPES } from "../snapshot/labels.ts";

/**
 * The renewal report's contract (GET /report, the status page): per scope × feature name, what the
 * stored `feature_in_use` history says about [from, to), with the overage and end dates of the
 * current snapshot. The store validates nothing here; the HTTP layer parses queries into this shape.
 * README "Report" says how each field is computed and how precise it is.
 */
export type ReportScope = (typeof DEMAND_SCOPES)[number];

export interface ReportFilter {
  /** That group's rows only (org rows belong to no group). */
  virtual_group_id?: string;
  /** Rows of both scopes. */
  feature_name?: string;
  scope?: ReportScope;
}

export interface ReportQuery {
  /** Unix seconds: the range is [from, to). */
  from: number;
  to: number;
  filter: ReportFilter;
}

export interface ReportForecast {
  /** Slope of the least-squares line through the daily peaks (UTC days), seats per day; null with fewer than 7 days. */
  trend_per_day: number | null;
  /** RFC 3339: the first UTC day the line reaches `seats`; null when not within two years (or no trend). */
  capacity_reached_at: string | null;
}

export interface ReportRow {
  scope: ReportScope;
  virtual_group_id: string | null;
  virtual_group_name: string | null;
  feature_name: string;
  /** Seats bought at the end of the range; null when CLS did not report the seats of one of the keys counted. */
  seats: number | null;
  /** Seats in use at the end of the range. */
  in_use: number;
  /** Available overage at the end of the range (from the current snapshot), or null. */
  overage_seats: number | null;
  /** Highest simultaneous use in the range and the first time it was reached (RFC 3339). */
  peak_in_use: number;
  peak_at: string;
  /** Time-weighted over the observed seconds of the range. */
  p95_in_use: number;
  avg_in_use: number;
  /** peak_in_use ÷ seats; null when seats is 0 or unknown. */
  utilisation_peak: number | null;
  /** Seconds with use ≥ seats (and use > 0). */
  time_at_capacity_seconds: number;
  /** Earliest end date not yet passed among the scope's counted keys of the feature (RFC 3339), or null. */
  expires_at: string | null;
  /** Whole days from generated_at to expires_at, rounded down; null with expires_at. */
  days_to_expiry: number | null;
  recommended_seats: number;
  forecast: ReportForecast;
}

export interface Report {
  org_name: string;
  from: string;
  to: string;
  generated_at: string;
  features: ReportRow[];
}

/** The headroom recommended_seats adds to the range's peak, in percent (README "Report"). */
export const RECOMMENDED_HEADROOM_PERCENT = 10;

/** How the HTTP layer and the pages obtain a report (the store's history with the current snapshot). */
export type ReportSource = (q: ReportQuery, signal?: AbortSignal) => Promise<Report>;
