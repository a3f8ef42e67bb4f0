import { stringify } from "csv-stringify/sync";
import type { Context } from "hono";
import { realTimers, type Timers } from "../clock.ts";
import type { Report, ReportRow, ReportSource } from "../store/report.ts";
import { boundedAnswer } from "./bounded-answer.ts";
import { inert } from "./history.ts";
import { ProblemException } from "./problems.ts";
import { parseReportQuery } from "./report-query.ts";

export interface ReportDeps {
  /** Absent (no history): /report says 503. */
  report: ReportSource | undefined;
  now: () => number;
  /** The bound of one answer (HISTORY_TIMEOUT_MS): past it the report is stopped, as when its client goes away. */
  timeoutMs: number;
  timers?: Timers;
}

type Flat = Exclude<keyof ReportRow, "forecast">;
/** The CSV's columns: a row's fields in the contract's order, the forecast's two flattened at the end. */
export const REPORT_COLUMNS = [
  "scope",
  "virtual_group_id",
  "virtual_group_name",
  "feature_name",
  "seats",
  "in_use",
  "overage_seats",
  "peak_in_use",
  "peak_at",
  "p95_in_use",
  "avg_in_use",
  "utilisation_peak",
  "time_at_capacity_seconds",
  "expires_at",
  "days_to_expiry",
  "recommended_seats",
  "forecast_trend_per_day",
  "forecast_capacity_reached_at",
] as const satisfies readonly (Flat | `forecast_${keyof ReportRow["forecast"]}`)[];
// A field added to ReportRow without a column here fails to compile.
const everyField: Flat extends (typeof REPORT_COLUMNS)[number] ? true : never = true;
void everyField;

const CSV_HEADERS = {
  "content-type": "text/csv; charset=utf-8",
  "content-disposition": 'attachment; filename="report.csv"',
  "cache-control": "no-store",
};
const JSON_HEADERS = { "content-type": "application/json", "cache-control": "no-store" };

/**
 * GET /report: a bad query is a 400 naming the parameter; without history a 503; the source's
 * HistoryBusy, StoreError and QueryCancelled become /history's problems (app.ts's error handler).
 */
export function reportHandler(deps: ReportDeps) {
  return async (c: Context) => {
    const req = parseReportQuery(new URL(c.req.url).searchParams, c.req.header("accept"), Math.floor(deps.now() / 1000));
    if ("parameter" in req) throw new ProblemException({ kind: "bad_query", ...req });
    const source = deps.report;
    if (!source) throw new ProblemException({ kind: "unavailable", reason: "error", detail: "history is not enabled" });
    const { format, ...query } = req;
    const report = await boundedAnswer(deps.timers ?? realTimers, deps.timeoutMs, c.req.raw.signal, (signal) => source(query, signal));
    return format === "csv"
      ? new Response(reportCsv(report), { headers: CSV_HEADERS })
      : new Response(JSON.stringify(report), { headers: JSON_HEADERS });
  };
}

/** A cell: null empty, text made inert for spreadsheets, numbers as given. */
const cell = (v: string | number | null) => (v === null ? "" : typeof v === "string" ? inert(v) : v);

/** One header line, then one line per row of the report. */
export function reportCsv(report: Report): string {
  const rows = report.features.map((r) => {
    const flat: Record<(typeof REPORT_COLUMNS)[number], string | number | null> = {
      ...r,
      forecast_trend_per_day: r.forecast.trend_per_day,
      forecast_capacity_reached_at: r.forecast.capacity_reached_at,
    };
    return REPORT_COLUMNS.map((k) => cell(flat[k]));
  });
  return stringify([[...REPORT_COLUMNS], ...rows]);
}
