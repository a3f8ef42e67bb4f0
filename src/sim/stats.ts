/**
 * What the exporter did to the simulator: call counts (to check the 1 + V + S + I budget and
 * caching), the concurrency peak (to check PARALLELISM), and a bounded log of recent requests.
 * The API key itself is never stored, only whether it was right.
 */
import type { SimEndpoint } from "./faults.ts";

export const LOG_LIMIT = 2000;

export interface RequestLogEntry {
  seq: number;
  at: string;
  method: string;
  path: string;
  query: Record<string, string>;
  endpoint: SimEndpoint | "unknown";
  /** null while the request is still open (latency, hang). */
  status: number | null;
  /** The client went away before an answer (hang or latency aborted). */
  aborted: boolean;
  keyOk: boolean;
  /** Request headers minus x-api-key. */
  headers: Record<string, string>;
  faulted: boolean;
  durationMs: number | null;
}

export interface SimStats {
  total: number;
  byEndpoint: Record<string, number>;
  byStatus: Record<string, number>;
  inFlight: number;
  inFlightPeak: number;
  requests: RequestLogEntry[];
}

export class RequestLog {
  private seq = 0;
  private total = 0;
  private byEndpoint: Record<string, number> = {};
  private byStatus: Record<string, number> = {};
  private inFlight = 0;
  private peak = 0;
  private entries: RequestLogEntry[] = [];
  private readonly started = new WeakMap<RequestLogEntry, number>();

  begin(req: Request, url: URL, endpoint: SimEndpoint | "unknown", keyOk: boolean): RequestLogEntry {
    const headers: Record<string, string> = {};
    req.headers.forEach((value, name) => {
      if (name !== "x-api-key") headers[name] = value;
    });
    const entry: RequestLogEntry = {
      seq: ++this.seq,
      at: new Date().toISOString(),
      method: req.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      endpoint,
      status: null,
      aborted: false,
      keyOk,
      headers,
      faulted: false,
      durationMs: null,
    };
    this.total++;
    this.byEndpoint[endpoint] = (this.byEndpoint[endpoint] ?? 0) + 1;
    this.peak = Math.max(this.peak, ++this.inFlight);
    this.started.set(entry, performance.now());
    this.entries.push(entry);
    if (this.entries.length > LOG_LIMIT) this.entries.shift();
    return entry;
  }

  end(entry: RequestLogEntry, status: number | null): void {
    this.inFlight--;
    entry.status = status;
    entry.aborted = status === null;
    entry.durationMs = performance.now() - (this.started.get(entry) ?? performance.now());
    const key = status === null ? "aborted" : String(status);
    this.byStatus[key] = (this.byStatus[key] ?? 0) + 1;
  }

  snapshot(): SimStats {
    return {
      total: this.total,
      byEndpoint: { ...this.byEndpoint },
      byStatus: { ...this.byStatus },
      inFlight: this.inFlight,
      inFlightPeak: this.peak,
      requests: this.entries.map((e) => ({ ...e, query: { ...e.query }, headers: { ...e.headers } })),
    };
  }

  /** Open requests stay counted in inFlight: they will still end. */
  reset(): void {
    this.total = 0;
    this.byEndpoint = {};
    this.byStatus = {};
    this.peak = this.inFlight;
    this.entries = [];
  }
}
