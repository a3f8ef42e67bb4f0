/**
 * The soak's load: `rate` GET /metrics per second (Prometheus' Accept header and gzip; the gzip body
 * is read, not decompressed), paced evenly on keep-alive fetch, 10 s timeout each. A scrape fails on
 * any status but 200, an empty body, an error or the timeout.
 */

import { MAX_IN_FLIGHT, SCRAPE_HEADERS, SCRAPE_TIMEOUT_MS } from "./options.ts";
import { sleepUntil, type Timeline } from "./timeline.ts";

/** The scrapes of one sample window. */
export interface Window {
  ok: number;
  failed: number;
  latencies: number[];
}
const newWindow = (): Window => ({ ok: 0, failed: 0, latencies: [] });

export class Load {
  window = newWindow();
  sent = 0;
  ok = 0;
  failed = 0;
  skipped = 0;
  inFlight = 0;
  bytes = 0;
  notGzip = 0;
  readonly latencies: number[] = [];
  readonly sendDelays: number[] = [];
  readonly failures: Array<{ t: number; fault: string; error: string }> = [];
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly url: string,
    private readonly tl: Timeline,
    private readonly rate: number,
  ) {}

  /** Sends on schedule until the end of the run, then waits for the scrapes still out. */
  async run(): Promise<void> {
    const interval = 1000 / this.rate;
    const t0 = this.tl.t0;
    let slot = 0;
    for (;;) {
      const now = performance.now();
      while (t0 + slot * interval <= now) {
        const slotAt = t0 + slot * interval;
        if (slotAt >= this.tl.endAt) break;
        slot++;
        // Never a burst to make up for our own lag: a slot more than 1 s late is skipped and counted.
        if (now - slotAt > 1000 || this.inFlight >= MAX_IN_FLIGHT) {
          this.skipped++;
          continue;
        }
        this.sendDelays.push(now - slotAt);
        const p = this.scrape();
        this.pending.add(p);
        void p.then(() => this.pending.delete(p));
      }
      const next = t0 + slot * interval;
      if (next >= this.tl.endAt) break;
      await sleepUntil(next);
    }
    await Promise.all(this.pending);
  }

  private async scrape(): Promise<void> {
    this.sent++;
    this.inFlight++;
    const start = performance.now();
    try {
      const res = await fetch(this.url, { headers: SCRAPE_HEADERS, decompress: false, signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
      const body = await res.arrayBuffer();
      const ms = performance.now() - start;
      if (res.status !== 200 || body.byteLength === 0)
        return this.fail(start, `HTTP ${res.status}, ${body.byteLength} bytes: ${new TextDecoder().decode(body.slice(0, 200))}`);
      if (res.headers.get("content-encoding") !== "gzip") this.notGzip++;
      this.bytes += body.byteLength;
      this.ok++;
      this.latencies.push(ms);
      this.window.ok++;
      this.window.latencies.push(ms);
    } catch (e) {
      this.fail(start, `${(e as Error).name}: ${(e as Error).message}`);
    } finally {
      this.inFlight--;
    }
  }

  private fail(start: number, error: string): void {
    this.failed++;
    this.window.failed++;
    this.noteFailure((start - this.tl.t0) / 1000, error);
  }

  /** Keeps the first ten failures, with the fault active at the time. */
  noteFailure(t: number, error: string): void {
    if (this.failures.length < 10) this.failures.push({ t, fault: this.tl.faultAt(t), error: error.slice(0, 300) });
  }

  /** The window since the last call; a new one starts. */
  take(): Window {
    const w = this.window;
    this.window = newWindow();
    return w;
  }
}
