import { rfc3339 } from "../../clock.ts";
import { demandOf } from "../../snapshot/demand.ts";
import { eachSeries, type ReadControl } from "../answer.ts";
import type { Report, ReportQuery, ReportRow } from "../report.ts";
import { demandKey, type ReportContext, reportRow } from "../report-read.ts";
import { summarise } from "../summary.ts";
import type { PgHistoryReader } from "./reader.ts";

/** The report of readReport (src/store/report-read.ts) read from PostgreSQL: one row per feature_in_use series with data in the range. */
export async function readPgReport(reader: PgHistoryReader, q: ReportQuery, ctx: ReportContext, ctl: ReadControl): Promise<Report> {
  const demand = new Map((ctx.current ? demandOf(ctx.current) : []).map((d) => [demandKey(d.labels), d]));
  const matched = await reader.series({ kind: "feature_in_use", filter: { ...q.filter } });
  const until = await reader.observedUntil();
  const features: ReportRow[] = [];
  await eachSeries(matched, ctl, async (series) => {
    const summary = summarise(await reader.rowsOf(series.id, q.from, q.to, until), q.from, q.to);
    if (summary) features.push(reportRow(series.labels, summary, demand.get(demandKey(series.labels)), q, ctx));
  });
  return { org_name: ctx.orgName, from: rfc3339(q.from), to: rfc3339(q.to), generated_at: rfc3339(ctx.generatedAt), features };
}
