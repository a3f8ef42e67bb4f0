import { Hono } from "hono";
import { timeout } from "hono/timeout";
import { RESERVED_PATHS } from "../config/index.ts";
import type { Health } from "../health.ts";
import type { Logger } from "../log.ts";
import { ASSETS } from "../render/assets.ts";
import type { View } from "../render/catalog.ts";
import type { Body, Format, PrometheusRenderer } from "../render/prometheus.ts";
import type { HistoryBackend } from "../store/index.ts";
import type { ReportSource } from "../store/report.ts";
import { assetsHandler } from "./assets.ts";
import { type Gate, guard } from "./guard.ts";
import { historyHandler } from "./history.ts";
import { ProblemException, problemOf, problemResponse } from "./problems.ts";
import { reportHandler } from "./report.ts";

export interface AppDeps {
  orgName: string;
  metricsPath: string;
  /** For scrapes: resolves per the cache's rules (at once when any snapshot exists). */
  view: () => Promise<View>;
  /** For scrapes, without waiting: the snapshot there is, a stale one triggering a refresh. */
  peek: () => View["snapshot"];
  /** For pages: what is there now, never starting a refresh. */
  current: () => View;
  /** For /healthz and pages: the exporter's health now, never starting a refresh. */
  health: () => Health;
  renderer: PrometheusRenderer;
  /** Answers /history; absent, /history says 503. */
  history?: HistoryBackend;
  /** Answers /report; absent, /report says 503. */
  report?: ReportSource;
  now: () => number;
  log: Logger;
  /** The credentials checked for everything but /healthz, and the scheme a 401 asks for; absent: open. */
  gate?: () => Gate;
  /** Added to every response (web config `http_server_config.headers`). */
  headers?: Record<string, string>;
  /** Default HISTORY_TIMEOUT_MS. */
  historyTimeoutMs?: number;
  /** Shown at the top of the status page when set (the demo says its history is simulated). */
  banner?: string;
}

/** /history and /report answers are bounded by the store; this bounds the wait for one, whatever happens there. */
export const HISTORY_TIMEOUT_MS = 30_000;

/**
 * The pages' policy: scripts, styles and requests only from the exporter itself (files under
 * RESERVED_PATHS.assets, never inline), no framing.
 */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'";

/** For the HTML page: no framing, no referrer, nothing inline, nothing cached. */
const PAGE_HEADERS = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
  "content-security-policy": PAGE_CSP,
};

/** OpenMetrics only when the scraper asks for it, as Prometheus does with its Accept header. */
function negotiateFormat(accept: string | null | undefined): Format {
  return accept &&
    /application\/openmetrics-text/i.test(accept) &&
    !/application\/openmetrics-text[^,]*;\s*q=0(\.0*)?\s*(,|$)/i.test(accept)
    ? "openmetrics"
    : "text";
}

function acceptsGzip(acceptEncoding: string | null | undefined): boolean {
  if (!acceptEncoding) return false;
  return acceptEncoding.split(",").some((part) => {
    const [coding, ...params] = part.trim().split(";");
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    return (coding!.trim().toLowerCase() === "gzip" || coding!.trim() === "*") && (q === undefined || Number(q.slice(2)) > 0);
  });
}

const OPEN: Gate = { auth: undefined, challenge: "Basic" };

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();

  // The hot path: a scrape's cost is this handler, so it reads raw headers, memoises the
  // negotiation (scrapers repeat the same headers) and, when the body for the current snapshot is
  // built, answers synchronously: no promise, no await, prebuilt bytes and headers.
  const negotiated = new Map<string, readonly [Format, boolean]>();
  const respond = (body: Body) => new Response(body.bytes, { headers: body.headers });
  app.get(deps.metricsPath, (c): Response | Promise<Response> => {
    const h = c.req.raw.headers;
    const key = `${h.get("accept")}\n${h.get("accept-encoding")}`;
    let choice = negotiated.get(key);
    if (!choice) {
      if (negotiated.size >= 64) negotiated.clear();
      choice = [negotiateFormat(h.get("accept")), acceptsGzip(h.get("accept-encoding"))];
      negotiated.set(key, choice);
    }
    const [format, gzip] = choice;
    const ready = deps.renderer.ready(deps.peek(), format, gzip);
    if (ready) return respond(ready);
    return deps
      .view()
      .then((view) => deps.renderer.body(view, format, gzip))
      .then(respond);
  });

  // Open to health checks without credentials; when credentials are configured, only a request that
  // carries them sees the causes of failures (they name hosts, endpoints and upstream errors).
  app.get(RESERVED_PATHS.health, async (c) => {
    const h = deps.health();
    const auth = deps.gate?.().auth;
    const detail = !auth || (await auth(c.req.header("authorization") ?? null)) === true;
    return c.json(detail ? h : { status: h.status, cls_up: h.cls_up, data_age_seconds: h.data_age_seconds });
  });

  const historyTimeoutMs = deps.historyTimeoutMs ?? HISTORY_TIMEOUT_MS;
  const historyTimedOut = () => new ProblemException({ kind: "timed_out", retryAfterS: 30 });
  app.get(
    RESERVED_PATHS.history,
    timeout(historyTimeoutMs, historyTimedOut),
    historyHandler({ orgName: deps.orgName, history: deps.history, now: deps.now, timeoutMs: historyTimeoutMs }),
  );
  app.get(
    RESERVED_PATHS.report,
    timeout(historyTimeoutMs, historyTimedOut),
    reportHandler({ report: deps.report, now: deps.now, timeoutMs: historyTimeoutMs }),
  );

  app.get(RESERVED_PATHS.page, async (c) => {
    // Imported on the first visit, not at start: a scrape-only exporter never loads the page's modules.
    const [{ renderPage }, { pageReport }] = await Promise.all([import("../render/page.tsx"), import("../render/page-report.ts")]);
    const now = deps.now();
    const report = await pageReport(deps.report, now, c.req.raw.signal);
    const html = renderPage(deps.current(), deps.health(), {
      orgName: deps.orgName,
      metricsPath: deps.metricsPath,
      report,
      now,
      banner: deps.banner,
    });
    return c.html(html, 200, PAGE_HEADERS);
  });

  app.get(`${RESERVED_PATHS.assets}/*`, assetsHandler(ASSETS));

  // No route matched: either an unknown path or a method other than GET/HEAD on a known one.
  app.notFound((c) => problemResponse({ kind: c.req.method !== "GET" && c.req.method !== "HEAD" ? "method_not_allowed" : "not_found" }));
  // Every failure of a handler becomes its problem's answer; no stack trace or error text reaches a
  // client unless the problem is meant for it (a bad query parameter, the store's reason).
  app.onError((err, c) => {
    const problem = problemOf(err);
    if (problem.kind === "timed_out") deps.log.warn("request timed out", { path: c.req.path, timeout_ms: historyTimeoutMs });
    if (problem.kind === "internal") deps.log.error("request failed", { path: c.req.path, error: err.message });
    return problemResponse(problem);
  });
  // Authentication, the URL bound and configured headers sit in front of the router (app.request
  // in tests goes through them too).
  const route = app.fetch;
  app.fetch = guard({ gate: deps.gate ?? (() => OPEN), open: new Set([RESERVED_PATHS.health]), headers: deps.headers ?? {} }, (req) =>
    route(req),
  ) as typeof app.fetch;
  return app;
}
