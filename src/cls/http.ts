import type { Sleep } from "../clock.ts";
import { ClsError } from "../errors.ts";
import { excerptOf, parseBody, tooLarge } from "./answer.ts";
import { BadEncoding, readBounded } from "./body.ts";
import { type ByteBudget, type ByteClaim, byteBudgetFor, createByteBudget } from "./budget.ts";
import type { EndpointName } from "./endpoints.ts";
import { ACCEPTED_ENCODING } from "./gunzip.ts";
import { type ClsLimits, DEFAULT_CLS_LIMITS } from "./limits.ts";
import { redact } from "./redact.ts";

/**
 * JSON GETs with a per-request timeout, an overall deadline (the caller's signal) and retries with
 * exponential backoff and full jitter on network errors, timeouts, 5xx and 429. Knows nothing of CLS
 * but the names of its endpoints, which label every attempt and error.
 */
export interface HttpOptions {
  baseUrl: string;
  /** Sent as x-api-key; also scrubbed from any error text. Read per call: a rotated key file takes effect without a restart. */
  apiKey: () => string;
  userAgent: string;
  requestTimeoutMs: number;
  /** Attempts per request, the first included. */
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** A request waits (then retries) at most this long for a Retry-After. */
  retryAfterMaxMs: number;
  /** A Retry-After also holds back every later request, for up to this long. */
  pauseMaxMs: number;
  /** What one answer may hold; DEFAULT_CLS_LIMITS when not given. */
  limits?: ClsLimits;
  /** Shared by every read in flight (and compressedClients inflates); one of byteBudgetFor(limits) when not given. */
  bytes?: ByteBudget;
}

export interface HttpDeps {
  fetch: (input: string, init: RequestInit) => Promise<Response>;
  /** Resolves after ms, or rejects when signal aborts. */
  sleep: Sleep;
  random: () => number;
  now: () => number;
  /** Called once per attempt: outcome is the HTTP status or the error kind; retry is 0 for a request's first attempt, then 1, 2, … */
  onAttempt?: (endpoint: EndpointName, outcome: string, durationMs: number, retry: number) => void;
}

/** What one refresh may still spend: aborted at (or before) `deadline`, in the clock of HttpDeps.now. */
export interface Budget {
  signal: AbortSignal;
  deadline: number;
  /** Names the deadline in the error when it passes; the refresh's (SCRAPE_TIMEOUT) when absent. */
  name?: string;
}

export interface GetRequest {
  /** For labels and errors only: the request goes to `path`. */
  endpoint: EndpointName;
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  budget: Budget;
  /**
   * The caller's claim on the shared byte budget, for an answer whose parse leaves much alive (a
   * compressed list still to inflate): the body is taken from it and, once parsed, stays held until
   * the caller releases it. A failed attempt gives it back. A claim of the call's own when absent.
   */
  claim?: ByteClaim;
}

export const DEFAULT_HTTP_OPTIONS = {
  maxAttempts: 4,
  backoffBaseMs: 200,
  backoffMaxMs: 5_000,
  retryAfterMaxMs: 30_000,
  pauseMaxMs: 10 * 60_000,
} as const;

export type HttpGet = (req: GetRequest) => Promise<unknown>;

export function createHttp(opts: HttpOptions, deps: HttpDeps): HttpGet {
  const limits = opts.limits ?? DEFAULT_CLS_LIMITS;
  const bytes = opts.bytes ?? createByteBudget(byteBudgetFor(limits));

  type Outcome = { body?: unknown; error?: ClsError; retryAfterMs?: number; final?: boolean };
  /** Until when CLS asked (429 + Retry-After) to be left alone: no request starts before it. */
  let pausedUntil = 0;

  async function attempt(req: GetRequest, url: string, retry: number): Promise<Outcome> {
    const started = deps.now();
    const timeout = AbortSignal.timeout(opts.requestTimeoutMs);
    const signal = AbortSignal.any([req.budget.signal, timeout]);
    let outcome = "network";
    // One key for the attempt: the one sent is the one redacted, even if the file rotates meanwhile.
    const key = opts.apiKey();
    // Given back once the body is parsed or refused, whatever happens; the caller's once it is done with the answer.
    const claim = req.claim ?? bytes.open();
    let kept = false;
    try {
      // Redirects are not followed: fetch would carry x-api-key to wherever they point.
      // Not decompressed by fetch, which would inflate a gzip answer ahead of the read (src/cls/gunzip.ts).
      const init = { method: "GET", headers: headersFor(req, key), signal, redirect: "manual", decompress: false } as const;
      const res = await deps.fetch(url, init);
      outcome = String(res.status);
      if (!res.ok) {
        const error = new ClsError("http", req.endpoint, `HTTP ${res.status}${await excerptOf(res, key)}`, res.status);
        const retryAfterMs = parseRetryAfter(res.headers.get("retry-after"), deps.now());
        if (res.status === 429 && retryAfterMs !== undefined)
          pausedUntil = Math.max(pausedUntil, deps.now() + Math.min(retryAfterMs, opts.pauseMaxMs));
        return { error, retryAfterMs };
      }
      const read = await readBounded(res, limits.maxResponseBytes, claim, signal);
      if (!read.ok) {
        outcome = "too_large";
        claim.release();
        bytes.refused();
        return { error: tooLarge(req.endpoint, read, limits.maxResponseBytes, bytes.capacity) };
      }
      const parsed = parseBody(req.endpoint, read.bytes, () => {
        outcome = "decode";
      });
      kept = req.claim !== undefined && parsed.error === undefined;
      return parsed;
    } catch (err) {
      if (err instanceof BadEncoding) {
        outcome = "decode";
        return { error: new ClsError("decode", req.endpoint, `gzip body does not inflate (${redact(err.message, key)})`) };
      }
      outcome = signal.aborted ? "timeout" : "network";
      if (req.budget.signal.aborted) return { error: deadlineError(req), final: true };
      if (timeout.aborted) return { error: new ClsError("timeout", req.endpoint, `no answer within ${opts.requestTimeoutMs}ms`) };
      return { error: new ClsError("network", req.endpoint, redact(describeNetworkError(err), key)) };
    } finally {
      if (!kept) claim.release();
      deps.onAttempt?.(req.endpoint, outcome, deps.now() - started, retry);
    }
  }

  function headersFor(req: GetRequest, key: string): Record<string, string> {
    return {
      accept: "application/json",
      "accept-encoding": ACCEPTED_ENCODING,
      "user-agent": opts.userAgent,
      "x-api-key": key,
      ...req.headers,
    };
  }

  function backoff(attemptNo: number, retryAfterMs: number | undefined): number {
    if (retryAfterMs !== undefined) return Math.min(retryAfterMs, opts.retryAfterMaxMs);
    return deps.random() * Math.min(opts.backoffMaxMs, opts.backoffBaseMs * 2 ** attemptNo);
  }

  /** Waits out a pause CLS asked for, or fails at once (no request made) when it outlasts the refresh. */
  async function politely(req: GetRequest): Promise<void> {
    const wait = pausedUntil - deps.now();
    if (wait <= 0) return;
    if (deps.now() + wait >= req.budget.deadline) {
      throw new ClsError(
        "http",
        req.endpoint,
        `not called: CLS asked (429, Retry-After) to wait until ${new Date(pausedUntil).toISOString()}`,
        429,
      );
    }
    try {
      await deps.sleep(wait, req.budget.signal);
    } catch {
      throw deadlineError(req);
    }
  }

  return async function get(req) {
    const url = `${opts.baseUrl}${req.path}${req.query ? `?${new URLSearchParams(req.query)}` : ""}`;
    for (let n = 0; ; n++) {
      // Past the refresh's deadline no call is made (nor counted): it could not be waited for.
      if (req.budget.signal.aborted) throw deadlineError(req);
      await politely(req);
      const { body, error, retryAfterMs, final } = await attempt(req, url, n);
      if (!error) return body;
      if (final || n + 1 >= opts.maxAttempts || !isRetryable(error)) throw error;
      const wait = backoff(n, retryAfterMs);
      // A wait that outlasts the refresh cannot help (nor one before a pause that does): fail now, with the real cause.
      if (deps.now() + wait >= req.budget.deadline || pausedUntil >= req.budget.deadline) throw error;
      try {
        await deps.sleep(wait, req.budget.signal);
      } catch {
        throw deadlineError(req, error);
      }
    }
  };
}

function isRetryable(e: ClsError): boolean {
  if (e.kind === "network" || e.kind === "timeout") return true;
  return e.kind === "http" && (e.status === 429 || (e.status ?? 0) >= 500);
}

function deadlineError(req: GetRequest, last?: ClsError): ClsError {
  const after = last ? ` while waiting to retry after: ${last.message}` : "";
  return new ClsError("timeout", req.endpoint, `${req.budget.name ?? "refresh deadline (SCRAPE_TIMEOUT)"} exceeded${after}`);
}

/** Retry-After as delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1_000;
  // Only an HTTP-date (RFC 9110 IMF-fixdate or its obsolete forms, always in GMT); Date.parse alone takes "-1".
  const at = /GMT$/.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

function describeNetworkError(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e.code && e.message && !e.message.includes(e.code)) return `${e.code}: ${e.message}`;
  return e.message || e.code || "connection failed";
}
