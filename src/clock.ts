/**
 * Time as the rest of the code sees it: injected everywhere, so tests drive it and never sleep.
 * The real implementations live here and are chosen by the composition root.
 */

/** The timer functions a component schedules with; tests pass a queue they run by hand. */
export interface Timers {
  setTimeout: (fn: () => void, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/** The real sleep: a timer that an abort cancels. */
export const abortableSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });

/** Unix seconds as RFC 3339 in UTC, whole seconds: how answers and reports write times. */
export const rfc3339 = (s: number) => new Date(s * 1000).toISOString().replace(".000Z", "Z");
