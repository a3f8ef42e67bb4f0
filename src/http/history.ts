import { stringify } from "csv-stringify/sync";
import type { Context } from "hono";
import { StoreError } from "../errors.ts";
import { KIND_LABELS } from "../store/observe.ts";
import type { SeriesResult } from "../store/read.ts";
import type { HistoryStore } from "../store/store.ts";
import { type HistoryRequest, parseHistoryQuery } from "./history-query.ts";

export interface HistoryDeps {
  orgName: string;
  history: HistoryStore | undefined;
  now: () => number;
}

/** The JSON body of GET /history (README "History"). */
export interface HistoryResponse {
  org_name: string;
  from: string;
  to: string;
  step_seconds: number;
  series: { kind: string; labels: Record<string, string>; capacity: number | null; points: { t: string; min: number; max: number; avg: number; last: number }[] }[];
}

const rfc3339 = (s: number) => new Date(s * 1000).toISOString().replace(".000Z", "Z");
/** Averages are time-weighted and rarely whole; four decimals are plenty for seat counts. */
const round = (n: number) => Math.round(n * 10_000) / 10_000;

/** GET /history: 400 names the bad parameter, 503 says why the store cannot answer; never a 500 for bad input. */
export function historyHandler(deps: HistoryDeps) {
  return (c: Context) => {
    const req = parseHistoryQuery(new URL(c.req.url).searchParams, c.req.header("accept"), Math.floor(deps.now() / 1000));
    if ("parameter" in req) return c.json({ error: `${req.parameter}: ${req.message}`, parameter: req.parameter }, 400);
    const store = deps.history;
    const down = store ? store.unavailable() : new StoreError("error", "history is not enabled");
    if (down || !store) return c.json({ error: "history is unavailable", reason: down?.reason, detail: down?.message }, 503, { "retry-after": "60" });
    let result;
    try {
      result = store.query(req);
    } catch (err) {
      const e = StoreError.from(err, "history database");
      return c.json({ error: "history is unavailable", reason: e.reason, detail: e.message }, 503, { "retry-after": "60" });
    }
    if (req.format === "csv") return c.body(toCsv(req, result.series), 200, { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="history-${req.kind}.csv"` });
    const body: HistoryResponse = {
      org_name: deps.orgName,
      from: rfc3339(req.from),
      to: rfc3339(req.to),
      step_seconds: result.step,
      series: result.series.map((s) => ({
        kind: s.kind,
        labels: s.labels,
        capacity: s.capacity,
        points: s.points.map((p) => ({ t: rfc3339(p.t), min: p.min, max: p.max, avg: round(p.avg), last: p.last })),
      })),
    };
    return c.json(body);
  };
}

/** One row per point, the kind's labels as columns. */
function toCsv(req: HistoryRequest, series: readonly SeriesResult[]): string {
  const labels = KIND_LABELS[req.kind];
  const rows: (string | number | null)[][] = [];
  for (const s of series) {
    for (const p of s.points) rows.push([s.kind, ...labels.map((l) => s.labels[l] ?? ""), s.capacity, rfc3339(p.t), p.min, p.max, round(p.avg), p.last]);
  }
  return stringify(rows, { header: true, columns: ["kind", ...labels, "capacity", "t", "min", "max", "avg", "last"] });
}
