import { stringify } from "csv-stringify/sync";
import type { Context } from "hono";
import { realTimers, type Timers } from "../clock.ts";
import { type HistoryBackend, KIND_LABELS, type SeriesResult } from "../store/index.ts";
import { boundedAnswer } from "./bounded-answer.ts";
import { type HistoryRequest, parseHistoryQuery } from "./history-query.ts";
import { ProblemException } from "./problems.ts";

export interface HistoryDeps {
  orgName: string;
  history: HistoryBackend | undefined;
  now: () => number;
  /** The bound of one answer (HISTORY_TIMEOUT_MS): past it the query is stopped, as when its client goes away. */
  timeoutMs: number;
  timers?: Timers;
}

/** Names the step an answer used, in every format (JSON also has `step_seconds`). */
export const STEP_HEADER = "history-step-seconds";

/** The JSON body of GET /history (README "History"). */
export interface HistoryResponse {
  org_name: string;
  from: string;
  to: string;
  step_seconds: number;
  series: {
    kind: string;
    labels: Record<string, string>;
    capacity: number | null;
    points: { t: string; min: number; max: number; avg: number; last: number }[];
  }[];
}

const rfc3339 = (s: number) => new Date(s * 1000).toISOString().replace(".000Z", "Z");
/** Averages are time-weighted and rarely whole; four decimals are plenty for seat counts. */
const round = (n: number) => Math.round(n * 10_000) / 10_000;

/**
 * GET /history: a bad query is a 400 naming the parameter, a store that cannot answer a 503 saying
 * why (both thrown as problems for the app's one error handler); never a 500 for bad input.
 */
export function historyHandler(deps: HistoryDeps) {
  return async (c: Context) => {
    const req = parseHistoryQuery(new URL(c.req.url).searchParams, c.req.header("accept"), Math.floor(deps.now() / 1000));
    if ("parameter" in req) throw new ProblemException({ kind: "bad_query", ...req });
    if (!deps.history) throw new ProblemException({ kind: "unavailable", reason: "error", detail: "history is not enabled" });
    // Throws TooManyPoints (a 400 on step), HistoryBusy or a StoreError (503s): app.ts's error handler maps them.
    const history = deps.history;
    const result = await boundedAnswer(deps.timers ?? realTimers, deps.timeoutMs, c.req.raw.signal, (signal) => history.query(req, signal));
    // Streamed a series at a time, so a large answer is never one long block of serialisation.
    const chunks = req.format === "csv" ? csvChunks(req, result.series) : jsonChunks(deps.orgName, req, result.step, result.series);
    const headers: Record<string, string> =
      req.format === "csv"
        ? { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="history-${req.kind}.csv"` }
        : { "content-type": "application/json" };
    headers[STEP_HEADER] = String(result.step);
    return new Response(streamOf(chunks), { headers });
  };
}

function streamOf(chunks: Iterator<string>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    pull(controller) {
      const next = chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
  });
}

function* jsonChunks(orgName: string, req: HistoryRequest, step: number, series: readonly SeriesResult[]): Iterator<string> {
  const head: Omit<HistoryResponse, "series"> = { org_name: orgName, from: rfc3339(req.from), to: rfc3339(req.to), step_seconds: step };
  yield `${JSON.stringify(head).slice(0, -1)},"series":[`;
  for (let i = 0; i < series.length; i++) {
    const s = series[i]!;
    const out: HistoryResponse["series"][number] = {
      kind: s.kind,
      labels: { ...s.labels },
      capacity: s.capacity,
      points: s.points.map((p) => ({ t: rfc3339(p.t), min: p.min, max: p.max, avg: round(p.avg), last: p.last })),
    };
    yield (i > 0 ? "," : "") + JSON.stringify(out);
  }
  yield "]}";
}

/**
 * A CSV text cell a spreadsheet would run as a formula (=, +, -, @, tab or carriage return first)
 * gets a leading apostrophe; /history's labels and /report's names both go through it. Only for
 * text: a negative number stays a number.
 */
export const inert = (value: string) => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);

/** One row per point, the kind's labels as columns. */
function* csvChunks(req: HistoryRequest, series: readonly SeriesResult[]): Iterator<string> {
  const labels = KIND_LABELS[req.kind];
  yield stringify([["kind", ...labels, "capacity", "t", "min", "max", "avg", "last"]]);
  for (const s of series) {
    const names = labels.map((l) => inert(s.labels[l] ?? ""));
    yield stringify(s.points.map((p) => [s.kind, ...names, s.capacity, rfc3339(p.t), p.min, p.max, round(p.avg), p.last]));
  }
}
