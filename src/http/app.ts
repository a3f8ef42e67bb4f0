import { Hono } from "hono";
import type { Logger } from "../log.ts";
import type { View } from "../render/catalog.ts";
import { renderPage } from "../render/page.ts";
import type { Format, PrometheusRenderer } from "../render/prometheus.ts";

export interface AppDeps {
  orgName: string;
  metricsPath: string;
  /** For scrapes: resolves per the cache's rules (at once when any snapshot exists). */
  view: () => Promise<View>;
  /** For pages and health checks: what is there now, never starting a refresh. */
  current: () => View;
  renderer: PrometheusRenderer;
  now: () => number;
  log: Logger;
}

/** OpenMetrics only when the scraper asks for it, as Prometheus does with its Accept header. */
export function negotiateFormat(accept: string | undefined): Format {
  return accept && /application\/openmetrics-text/i.test(accept) && !/application\/openmetrics-text[^,]*;\s*q=0(\.0*)?\s*(,|$)/i.test(accept)
    ? "openmetrics"
    : "text";
}

export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (!acceptEncoding) return false;
  return acceptEncoding.split(",").some((part) => {
    const [coding, ...params] = part.trim().split(";");
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    return (coding!.trim().toLowerCase() === "gzip" || coding!.trim() === "*") && (q === undefined || Number(q.slice(2)) > 0);
  });
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();

  app.use(async (c, next) => {
    if (c.req.method !== "GET" && c.req.method !== "HEAD") {
      return c.text("method not allowed\n", 405, { allow: "GET, HEAD" });
    }
    await next();
  });

  app.get(deps.metricsPath, async (c) => {
    const format = negotiateFormat(c.req.header("accept"));
    const gzip = acceptsGzip(c.req.header("accept-encoding"));
    const body = await deps.renderer.body(await deps.view(), format, gzip);
    const headers: Record<string, string> = { "content-type": body.contentType, vary: "Accept, Accept-Encoding" };
    if (body.gzipped) headers["content-encoding"] = "gzip";
    return c.body(body.bytes, 200, headers);
  });

  app.get("/healthz", async (c) => {
    const { snapshot } = deps.current();
    return c.json({
      status: "ok",
      cls_up: snapshot?.up ?? false,
      data_age_seconds: snapshot ? Math.round((deps.now() - snapshot.collectedAt) / 1000) : null,
    });
  });

  app.get("/", async (c) => {
    const html = renderPage(deps.current(), { orgName: deps.orgName, metricsPath: deps.metricsPath, now: deps.now() });
    return c.html(html, 200, { "x-content-type-options": "nosniff", "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'" });
  });

  app.notFound((c) => c.text("not found\n", 404));
  app.onError((err, c) => {
    deps.log.error("request failed", { path: c.req.path, error: err.message });
    return c.text("internal error\n", 500);
  });
  return app;
}
