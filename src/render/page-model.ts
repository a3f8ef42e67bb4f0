/**
 * What the status page shows, worked out without markup: utilisation bands, expiry levels and the
 * rows of each section. Pure: "now" is passed in, nothing is read from the clock or CLS here.
 */
import { type DemandRow, demandOf } from "../snapshot/demand.ts";
import type { Snapshot } from "../snapshot/types.ts";
import type { Report, ReportRow } from "../store/report.ts";

/** Utilisation bands of a bar: below 70 %, 70–90 %, 90 % or more, above the seats bought. */
export type Band = "low" | "mid" | "high" | "over" | "unknown";

export const BAND_WORDS: Record<Band, string> = {
  low: "below 70 %",
  mid: "70–90 %",
  high: "90 % or more",
  over: "over the seats bought",
  unknown: "unknown",
};

/** The band of `inUse` against `seats`; at exactly 100 % a feature is "high", only beyond it "over". */
export function bandOf(inUse: number | undefined, seats: number | undefined): Band {
  if (inUse === undefined || seats === undefined) return "unknown";
  if (inUse > seats) return "over";
  if (seats === 0) return "low";
  const ratio = inUse / seats;
  return ratio >= 0.9 ? "high" : ratio >= 0.7 ? "mid" : "low";
}

/** The bar's fill in steps of 5 % (the CSP allows no style attribute, so widths are classes); over 100 % fills it. */
export function fillStep(inUse: number | undefined, seats: number | undefined): number {
  if (inUse === undefined || seats === undefined) return 0;
  if (seats === 0) return inUse > 0 ? 100 : 0;
  return Math.min(100, Math.round((inUse / seats) * 20) * 5);
}

/** ended: already passed; week: within 7 days; month: within 30 days; later; none: no end date. */
export type ExpiryLevel = "ended" | "week" | "month" | "later" | "none";

export const EXPIRY_WORDS: Record<ExpiryLevel, string> = {
  ended: "ended",
  week: "ends within 7 days",
  month: "ends within 30 days",
  later: "",
  none: "no end date",
};

const DAY_S = 86_400;

/** `end` and `now` in unix seconds; days are whole days left, rounded down. */
export function expiryOf(end: number | undefined, now: number): { level: ExpiryLevel; days: number | null } {
  if (end === undefined) return { level: "none", days: null };
  const left = end - now;
  const days = Math.floor(left / DAY_S);
  if (left <= 0) return { level: "ended", days };
  return { level: left < 7 * DAY_S ? "week" : left < 30 * DAY_S ? "month" : "later", days };
}

/** The 30-day columns of a demand row: the report's row, or why there is none. */
export type Insight = { row: ReportRow } | { missing: string };

/** The report as the page reads it: its rows, or the reason it is missing (history off, failing). */
export type ReportState = { report: Report } | { missing: string };

export interface DemandLine {
  row: DemandRow;
  band: Band;
  fill: number;
  insight: Insight;
}

export interface GroupSection {
  id: string;
  name: string;
  lines: DemandLine[];
}

export interface DemandSections {
  org: DemandLine[];
  groups: GroupSection[];
}

const keyOf = (scope: string, group: string | null | undefined, feature: string) => `${scope}\n${group ?? ""}\n${feature}`;

/** Demand now, per group (in the snapshot's order) and per feature across the org, each with its 30-day figures. */
export function demandSections(s: Snapshot | undefined, report: ReportState): DemandSections {
  const reportRows = new Map<string, ReportRow>();
  if ("report" in report) for (const r of report.report.features) reportRows.set(keyOf(r.scope, r.virtual_group_id, r.feature_name), r);
  const sections: DemandSections = { org: [], groups: [] };
  const groups = new Map<string, GroupSection>();
  for (const row of s ? demandOf(s) : []) {
    const l = row.labels;
    const groupId = l.scope === "virtual_group" ? l.virtual_group_id : null;
    const found = reportRows.get(keyOf(l.scope, groupId, l.feature_name));
    const insight: Insight = found ? { row: found } : { missing: "missing" in report ? report.missing : "no history for it yet" };
    const line = { row, band: bandOf(row.inUse, row.seats), fill: fillStep(row.inUse, row.seats), insight };
    if (l.scope === "org") {
      sections.org.push(line);
      continue;
    }
    let g = groups.get(l.virtual_group_id);
    if (!g) {
      g = { id: l.virtual_group_id, name: l.virtual_group_name, lines: [] };
      groups.set(l.virtual_group_id, g);
      sections.groups.push(g);
    }
    g.lines.push(line);
  }
  return sections;
}

export interface EntitlementLine {
  group: string;
  feature: string;
  productKey: string;
  total: number | undefined;
  end: number | undefined;
  level: ExpiryLevel;
  days: number | null;
}

/** Every entitlement row, the soonest end first (rows without an end date last). */
export function entitlementLines(s: Snapshot | undefined, now: number): EntitlementLine[] {
  const lines = (s?.entitlements ?? []).map((e) => ({
    group: e.labels.virtual_group_name ?? "",
    feature: e.labels.feature_name ?? "",
    productKey: e.labels.ems_product_key_id ?? "",
    total: e.total,
    end: e.end,
    ...expiryOf(e.end, now),
  }));
  return lines.sort((a, b) => (a.end ?? Number.POSITIVE_INFINITY) - (b.end ?? Number.POSITIVE_INFINITY));
}

/** "3 h 20 min", "45 min", "0 min": time at capacity as a person reads it. */
export function durationWords(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const parts = [days > 0 ? `${days} d` : "", hours > 0 ? `${hours} h` : "", `${minutes % 60} min`];
  return parts.filter((p) => p !== "").join(" ");
}
