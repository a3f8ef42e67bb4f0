import type { Server } from "bun";
import { type Config, localBaseUrl } from "../config/index.ts";
import type { Logger } from "../log.ts";
import { HISTORY_TIMEOUT_MS } from "./app.ts";
import { problemResponse } from "./problems.ts";

export interface Listening {
  server: Server<undefined>;
  /** Base URL for humans and tests, e.g. http://127.0.0.1:9844. */
  url: string;
}

/**
 * Binds the configured address (TLS per the web config) for this process alone; throws an error
 * naming the setting to change, and saying so when another process has the address.
 */
export function listen(config: Config, fetch: (req: Request) => Response | Promise<Response>, log: Logger): Listening {
  const tls = config.web?.tls;
  let server: Server<undefined>;
  try {
    server = Bun.serve({
      hostname: config.listen.hostname,
      port: config.listen.port,
      fetch,
      // Never Bun's development error page (it shows stack traces), whatever NODE_ENV says.
      development: false,
      // Bun binds with SO_REUSEPORT unless told not to: a second exporter on the same address would
      // start without error and scrapes would alternate between the two processes.
      reusePort: false,
      error: (err) => {
        log.error("request failed", { error: err.message });
        return problemResponse({ kind: "internal" });
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
    const inUse = (err as NodeJS.ErrnoException).code === "EADDRINUSE";
    const why = inUse ? "address in use by another process" : (err as Error).message;
    throw new Error(`cannot listen on ${where} (${what}): ${why}`);
  }
  return { server, url: localBaseUrl(config.listen.hostname, server.port ?? config.listen.port, tls ? "https" : "http") };
}
