import { realTimers, type Timers } from "../clock.ts";
import type { ReportSource } from "../store/report.ts";
import type { ReportState } from "./page-model.ts";

/** The page's 30-day figures cover this many days before now. */
export const PAGE_REPORT_DAYS = 30;

/**
 * How long the page waits for the report before it is shown without the 30-day figures (saying
 * so): the page must answer even when the history store is slow.
 */
export const PAGE_REPORT_TIMEOUT_MS = 5_000;

/**
 * The report over the last 30 days, or why the page shows none: history off, the store's error,
 * or the wait bound. Never throws; the report's work stops when the client goes away or time is up.
 */
export async function pageReport(
  source: ReportSource | undefined,
  nowMs: number,
  client: AbortSignal,
  timers: Timers = realTimers,
): Promise<ReportState> {
  if (!source) return { missing: "history off" };
  const to = Math.floor(nowMs / 1000);
  const stop = new AbortController();
  const gone = () => stop.abort(client.reason);
  client.addEventListener("abort", gone, { once: true });
  let timer: unknown;
  const timedOut = new Promise<ReportState>((resolve) => {
    timer = timers.setTimeout(() => {
      stop.abort(new Error("report timed out"));
      resolve({ missing: `history unavailable: no answer within ${PAGE_REPORT_TIMEOUT_MS / 1000} s` });
    }, PAGE_REPORT_TIMEOUT_MS);
  });
  const answered = source({ from: to - PAGE_REPORT_DAYS * 86_400, to, filter: {} }, stop.signal).then(
    (report): ReportState => ({ report }),
    (err: unknown): ReportState => ({ missing: `history unavailable: ${err instanceof Error ? err.message : String(err)}` }),
  );
  try {
    return await Promise.race([answered, timedOut]);
  } finally {
    timers.clearTimeout(timer);
    client.removeEventListener("abort", gone);
  }
}
