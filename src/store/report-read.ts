import { rfc3339 } from "../clock.ts";
import { type DemandRow, demandOf } from "../snapshot/demand.ts";
import type { Labels, Snapshot } from "../snapshot/types.ts";
import { eachSeries, type ReadControl } from "./answer.ts";
import { forecastOf } from "./forecast.ts";
import type { HistoryReader } from "./reader.ts";
import { RECOMMENDED_HEADROOM_PERCENT, type Report, type ReportQuery, type ReportRow, type ReportScope } from "./report.ts";
import { DAY, type Summary, summarise } from "./summary.ts";

/** What a report is made from besides the stored history. */
export interface ReportContext {
  orgName: string;
  /** The snapshot served now: overage and end dates are not history. */
  current: Snapshot | undefined;
  /** Unix seconds. */
  generatedAt: number;
}

/** Averages and ratios are rarely whole; four decimals are plenty for seat counts. */
const round = (n: number) => Math.round(n * 10_000) / 10_000;

/** Which demand row of the current snapshot a feature_in_use series reports on. */
export const demandKey = (l: Labels) => `${l.scope}\n${l.virtual_group_id ?? ""}\n${l.feature_name}`;

/** The range's peak plus the headroom, rounded up to a whole seat (integer arithmetic: 10 × 1.1 is 11, not 12). */
export const recommendedSeats = (peak: number) => Math.ceil((peak * (100 + RECOMMENDED_HEADROOM_PERCENT)) / 100);

/** One report row from a series' summary and the current snapshot's demand row of the same scope and feature. */
export function reportRow(labels: Labels, s: Summary, now: DemandRow | undefined, q: ReportQuery, ctx: ReportContext): ReportRow {
  const seats = s.capacity;
  const forecast = forecastOf(s.dailyPeaks, seats);
  // Overage is not history: known for a range that ends at or after the snapshot served now (to
  // the second: a range ending "now" ends in the second that snapshot may have been collected in).
  const overageKnown = ctx.current !== undefined && q.to >= Math.floor(ctx.current.collectedAt / 1000);
  const expires = now?.expires !== undefined && now.expires > ctx.generatedAt ? now.expires : undefined;
  const group = labels.scope === "virtual_group";
  return {
    scope: labels.scope as ReportScope,
    virtual_group_id: group ? (labels.virtual_group_id ?? null) : null,
    virtual_group_name: group ? (labels.virtual_group_name ?? null) : null,
    feature_name: labels.feature_name ?? "",
    seats,
    in_use: s.last,
    overage_seats: overageKnown ? (now?.overage ?? null) : null,
    peak_in_use: s.peak,
    peak_at: rfc3339(s.peakAt),
    p95_in_use: round(s.p95),
    avg_in_use: round(s.avg),
    utilisation_peak: seats !== null && seats > 0 ? round(s.peak / seats) : null,
    time_at_capacity_seconds: Math.round(s.atCapacityS),
    expires_at: expires === undefined ? null : rfc3339(expires),
    days_to_expiry: expires === undefined ? null : Math.floor((expires - ctx.generatedAt) / DAY),
    recommended_seats: recommendedSeats(s.peak),
    forecast: {
      trend_per_day: forecast.trendPerDay === null ? null : round(forecast.trendPerDay),
      capacity_reached_at: forecast.reachedDay === null ? null : rfc3339(forecast.reachedDay * DAY),
    },
  };
}

/** Reads the report a series at a time (see eachSeries): one row per feature_in_use series with data in the range. */
export async function readReport(reader: HistoryReader, q: ReportQuery, ctx: ReportContext, ctl: ReadControl): Promise<Report> {
  const demand = new Map((ctx.current ? demandOf(ctx.current) : []).map((d) => [demandKey(d.labels), d]));
  const matched = reader.series({ kind: "feature_in_use", filter: { ...q.filter } });
  const until = reader.observedUntil();
  const features: ReportRow[] = [];
  await eachSeries(matched, ctl, (series) => {
    const summary = summarise(reader.rowsOf(series.id, q.from, q.to, until), q.from, q.to);
    if (summary) features.push(reportRow(series.labels, summary, demand.get(demandKey(series.labels)), q, ctx));
  });
  return { org_name: ctx.orgName, from: rfc3339(q.from), to: rfc3339(q.to), generated_at: rfc3339(ctx.generatedAt), features };
}
