import type { Server } from "bun";
import { type Config, localBaseUrl } from "./config.ts";
import { type ContextDeps, createExporter, type Exporter } from "./context.ts";

export interface Running {
  exporter: Exporter;
  server: Server<undefined>;
  /** Base URL for humans and tests, e.g. http://127.0.0.1:9844. */
  url: string;
  /** Stops accepting, lets in-flight requests finish, stops refreshing. */
  stop: () => Promise<void>;
}

/** Binds the port (throws a clear error when it cannot) and starts background refreshes. */
export function startServer(config: Config, deps: ContextDeps): Running {
  const exporter = createExporter(config, deps);
  let server: Server<undefined>;
  try {
    server = Bun.serve({
      hostname: config.listen.hostname,
      port: config.listen.port,
      fetch: exporter.app.fetch,
      // Scrapes with no snapshot wait up to SCRAPE_TIMEOUT; the idle timeout must outlast that.
      idleTimeout: Math.min(255, Math.ceil(config.scrapeTimeoutMs / 1000) + 10),
    });
  } catch (err) {
    const where = `${config.listen.hostname ?? ""}:${config.listen.port}`;
    throw new Error(`cannot listen on ${where} (LISTEN_ADDRESS): ${(err as Error).message}`);
  }
  exporter.start();
  const url = localBaseUrl(config.listen.hostname, server.port ?? config.listen.port);
  return {
    exporter,
    server,
    url,
    stop: async () => {
      await Promise.all([server.stop(), exporter.stop()]);
      // After the refresh in flight has ended, so its snapshot is written too.
      deps.history?.close();
    },
  };
}
