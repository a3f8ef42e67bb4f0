import type { Server } from "bun";
import { type Config, localBaseUrl } from "./config/index.ts";
import { type ContextDeps, createExporter, type Exporter } from "./context.ts";
import { HISTORY_TIMEOUT_MS } from "./http/app.ts";

export interface Running {
  exporter: Exporter;
  server: Server<undefined>;
  /** Base URL for humans and tests, e.g. http://127.0.0.1:9844. */
  url: string;
  /** Stops accepting, lets in-flight requests finish, stops refreshing, closes the database. */
  stop: () => Promise<void>;
  /** When stop() overran its time: closes the database (what was committed stays) without waiting. */
  abandon: () => void;
}

/** Binds the port (throws a clear error when it cannot) and starts background refreshes. */
export function startServer(config: Config, deps: ContextDeps): Running {
  const exporter = createExporter(config, deps);
  const tls = config.web?.tls;
  let server: Server<undefined>;
  try {
    server = Bun.serve({
      hostname: config.listen.hostname,
      port: config.listen.port,
      fetch: exporter.app.fetch,
      // Never Bun's development error page (it shows stack traces), whatever NODE_ENV says.
      development: false,
      error: (err) => {
        deps.log.error("request failed", { error: err.message });
        return new Response("internal error\n", { status: 500, headers: { "content-type": "text/plain; charset=utf-8" } });
      },
      // GET and HEAD only: a body is never read, so none may be large.
      maxRequestBodySize: 16 * 1024,
      // A connection silent for this long is closed (slow or stuck clients). Scrapes with no
      // snapshot wait up to SCRAPE_TIMEOUT, and /history up to 30 s: it must outlast both.
      idleTimeout: Math.min(255, Math.ceil(Math.max(config.scrapeTimeoutMs, HISTORY_TIMEOUT_MS) / 1000) + 10),
      ...(tls
        ? {
            tls: {
              cert: tls.cert,
              key: tls.key,
              ...(tls.ca ? { ca: tls.ca, requestCert: true, rejectUnauthorized: true } : {}),
              ...(tls.secureOptions ? { secureOptions: tls.secureOptions } : {}),
            },
          }
        : {}),
    });
  } catch (err) {
    const where = `${config.listen.hostname ?? ""}:${config.listen.port}`;
    const what = tls ? "LISTEN_ADDRESS, or the certificate and key of WEB_CONFIG_FILE" : "LISTEN_ADDRESS";
    throw new Error(`cannot listen on ${where} (${what}): ${(err as Error).message}`);
  }
  exporter.start();
  const url = localBaseUrl(config.listen.hostname, server.port ?? config.listen.port, tls ? "https" : "http");
  return {
    exporter,
    server,
    url,
    stop: async () => {
      await Promise.all([server.stop(), exporter.stop()]);
      // After the refresh in flight has ended, so its snapshot is written too.
      deps.history?.close();
    },
    abandon: () => {
      void server.stop(true);
      deps.history?.close();
    },
  };
}
