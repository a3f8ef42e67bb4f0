import type { Timers } from "../clock.ts";
import { QueryCancelled } from "../store/index.ts";
import { ProblemException } from "./problems.ts";

/**
 * Runs a store query whose work stops as soon as the client goes away (Bun aborts the request's
 * signal when the connection closes) or the answer's time is up: a query nobody waits for costs no
 * more than the slice it is in. Its QueryCancelled becomes the matching problem (timed out, or the
 * client gone); any other error is the caller's error handler's.
 */
export async function boundedAnswer<T>(
  timers: Timers,
  timeoutMs: number,
  client: AbortSignal,
  run: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const stop = new AbortController();
  let timedOut = false;
  const gone = () => stop.abort(client.reason);
  const timer = timers.setTimeout(() => {
    timedOut = true;
    stop.abort(new Error("answer timed out"));
  }, timeoutMs);
  if (client.aborted) gone();
  else client.addEventListener("abort", gone, { once: true });
  try {
    return await run(stop.signal);
  } catch (err) {
    if (!(err instanceof QueryCancelled)) throw err;
    throw new ProblemException(timedOut ? { kind: "timed_out", retryAfterS: 30 } : { kind: "client_gone" });
  } finally {
    timers.clearTimeout(timer);
    client.removeEventListener("abort", gone);
  }
}
