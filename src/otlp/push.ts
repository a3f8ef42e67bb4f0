import type { ResourceMetrics } from "@opentelemetry/sdk-metrics";
import { realTimers, type Timers } from "../clock.ts";
import type { Logger } from "../log.ts";
import { OutageLog } from "../outage.ts";
import type { View } from "../render/catalog.ts";
import type { OtlpFailureReason, OtlpStats } from "./stats.ts";

/** The OTLP exporter seen from here: one export at a time, resolving when the collector accepted it. */
export interface Sender {
  send(metrics: ResourceMetrics): Promise<void>;
  shutdown(): Promise<void>;
}

export interface PusherOptions {
  intervalMs: number;
  /** The exporter's own timeout (retries included); a push that outlives it by a second is abandoned. */
  timeoutMs: number;
  /** For scheduled pushes: reads through the shared cache, so a stale one is refreshed once for everybody. */
  view: () => Promise<View>;
  /** For the final push at shutdown: what is there, without starting a refresh. */
  current: () => View;
  build: (view: View, nowMs: number) => ResourceMetrics;
  sender: Sender;
  stats: OtlpStats;
  /** Where pushes go, for logs (the URL; never the headers). */
  endpoint: string;
  log: Logger;
  now: () => number;
  timers?: Timers;
  /**
   * Whether this exporter pushes now; absent: always. A replica serving its leader's snapshots does
   * not push (its interval passes with no export), so an org's data arrives once, from the exporter that calls CLS.
   */
  active?: () => boolean;
}

/** A failure that lasts is logged when it starts, then every 10 minutes. */
const REMIND_MS = 10 * 60_000;
/** Shutdown waits this long for a push in flight, then as long again for the final one. */
const FINAL_PUSH_MS = 3_000;

const GRPC_REASONS: Record<number, OtlpFailureReason> = {
  4: "timeout",
  7: "permission_denied",
  8: "resource_exhausted",
  14: "unavailable",
  16: "unauthenticated",
};

export function failureReason(err: unknown): OtlpFailureReason {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === "number") return GRPC_REASONS[code] ?? "rejected";
  return /time(d)? ?out|deadline/i.test(String((err as Error | undefined)?.message)) ? "timeout" : "error";
}

function message(err: unknown): string {
  return String((err as Error | undefined)?.message ?? err)
    .replace(/\s+/g, " ")
    .slice(0, 300);
}

/** `promise`, or "late" after `ms`; the timer is cleared either way. */
async function within<T>(promise: Promise<T>, ms: number, timers: Timers): Promise<T | "late"> {
  let handle: unknown;
  const late = new Promise<"late">((resolve) => {
    handle = timers.setTimeout(() => resolve("late"), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    timers.clearTimeout(handle);
  }
}

/**
 * Pushes the catalogue every intervalMs on a chained timer: a push never overlaps the previous one,
 * so a slow or black-holed collector costs one pending export, not a growing queue.
 */
export class OtlpPusher {
  private timer: unknown;
  private inFlight: Promise<void> | undefined;
  private stopped = false;
  private readonly outage: OutageLog;
  private accepted = false;
  private readonly timers: Timers;

  constructor(private readonly opts: PusherOptions) {
    this.timers = opts.timers ?? realTimers;
    this.outage = new OutageLog(opts.now, REMIND_MS);
  }

  /** The first push goes out at once (joining the first refresh), then one per interval. */
  start(): void {
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = this.timers.setTimeout(() => void this.tick(), delayMs);
  }

  private async tick(): Promise<void> {
    const startedAt = this.opts.now();
    if (this.opts.active?.() === false) {
      this.schedule(this.opts.intervalMs);
      return;
    }
    this.inFlight = this.opts.view().then(
      (view) => this.push(view),
      (err) => this.failed("error", err),
    );
    await this.inFlight;
    this.inFlight = undefined;
    this.schedule(Math.max(0, startedAt + this.opts.intervalMs - this.opts.now()));
  }

  /** One export of `view`. Never rejects: failures are counted and logged. */
  async push(view: View): Promise<void> {
    let metrics: ResourceMetrics;
    try {
      metrics = this.opts.build(view, this.opts.now());
    } catch (err) {
      this.failed("error", err);
      return;
    }
    this.opts.stats.exports += 1;
    const deadline = this.opts.timeoutMs + 1_000;
    try {
      const result = await within(this.opts.sender.send(metrics), deadline, this.timers);
      if (result === "late") this.failed("timeout", new Error(`no answer from the exporter within ${deadline} ms`));
      else this.succeeded();
    } catch (err) {
      this.failed(failureReason(err), err);
    }
  }

  private succeeded(): void {
    this.opts.stats.lastSuccessAt = this.opts.now();
    this.opts.stats.lastFailure = undefined;
    const ended = this.outage.recover();
    if (ended) {
      this.opts.log.info("OTLP push recovered", {
        endpoint: this.opts.endpoint,
        failed_pushes: ended.failures,
        failing_for_s: Math.round(ended.sinceMs / 1000),
      });
    } else if (!this.accepted) {
      this.opts.log.info("OTLP push accepted by the collector", { endpoint: this.opts.endpoint });
    }
    this.accepted = true;
  }

  private failed(reason: OtlpFailureReason, err: unknown): void {
    const stats = this.opts.stats;
    stats.failures.set(reason, (stats.failures.get(reason) ?? 0) + 1);
    stats.lastFailure = { reason, message: message(err), at: this.opts.now() };
    // One outage may alternate reasons (a black hole times out, then its handshake is cut): the
    // counter keeps them apart, the log (one signature for all) does not repeat itself for each.
    const verdict = this.outage.fail();
    if (!verdict.log) return;
    if (verdict.first)
      this.opts.log.warn("OTLP push failed; retrying every interval", { endpoint: this.opts.endpoint, reason, error: message(err) });
    else
      this.opts.log.warn("OTLP push still failing", {
        endpoint: this.opts.endpoint,
        reason,
        failed_pushes: verdict.failures,
        failing_for_s: Math.round(verdict.sinceMs / 1000),
        error: message(err),
      });
  }

  /** Stops the timer, lets a push in flight finish, makes a final push: each step bounded. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.timers.clearTimeout(this.timer);
    const budget = Math.min(this.opts.timeoutMs, FINAL_PUSH_MS);
    const pending = this.inFlight && (await within(this.inFlight, budget, this.timers));
    if (pending !== "late" && this.opts.active?.() !== false) await within(this.push(this.opts.current()), budget, this.timers);
    await within(
      this.opts.sender.shutdown().catch(() => undefined),
      1_000,
      this.timers,
    );
  }
}
