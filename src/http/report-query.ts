import { z } from "zod";
import type { ReportFilter, ReportQuery } from "../store/report.ts";
import { type BadQuery, badQueryOf, filterValue, format, formatOf, isBad, rangeOf, readParameters, scope, time } from "./query-grammar.ts";

/** A parsed /report request: the report's query and the answer's format. */
export type ReportRequest = ReportQuery & { format: "json" | "csv" };

/** Without `from`, a report covers the 30 days before `to`. */
export const REPORT_DEFAULT_RANGE_S = 30 * 86_400;
const PARAMETERS = new Set(["from", "to", "format", "virtual_group_id", "feature_name", "scope"]);

function schema(nowS: number) {
  return z
    .object({
      from: time(nowS).optional(),
      to: time(nowS).optional(),
      format: format.optional(),
      virtual_group_id: filterValue.optional(),
      feature_name: filterValue.optional(),
      scope: scope.optional(),
    })
    .superRefine((q, ctx) => {
      if (q.virtual_group_id !== undefined && q.scope === "org")
        ctx.addIssue({
          code: "custom",
          path: ["virtual_group_id"],
          message:
            "org rows add up every virtual group and belong to none: drop virtual_group_id for the org's rows, or use scope=virtual_group for that group's",
        });
    });
}

/** Validates /report's query string with /history's grammar and 400s; every problem names its parameter. */
export function parseReportQuery(params: URLSearchParams, accept: string | undefined, nowS: number): ReportRequest | BadQuery {
  const raw = readParameters(params, PARAMETERS);
  if (isBad(raw)) return raw;
  const parsed = schema(nowS).safeParse(raw.values);
  if (!parsed.success) return badQueryOf(parsed.error);
  const q = parsed.data;
  const range = rangeOf(q.from, q.to, nowS, REPORT_DEFAULT_RANGE_S);
  if (isBad(range)) return range;
  const filter: ReportFilter = {};
  if (q.virtual_group_id !== undefined) filter.virtual_group_id = q.virtual_group_id;
  if (q.feature_name !== undefined) filter.feature_name = q.feature_name;
  if (q.scope !== undefined) filter.scope = q.scope;
  return { ...range, filter, format: formatOf(q.format, accept) };
}
