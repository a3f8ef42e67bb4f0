import type { Config } from "./config/index.ts";
import { createLogger, type Logger } from "./log.ts";
import type { Running } from "./server.ts";

/** The process's logger: stderr, in the configured format and level. */
export function processLogger(config: Pick<Config, "log">): Logger {
  return createLogger({ write: (line) => process.stderr.write(line), level: config.log.level, format: config.log.format });
}

/**
 * SIGTERM/SIGINT: stop accepting, let requests in flight finish, end the refresh in flight (aborted),
 * make the final OTLP push, close the database, exit 0. Bounded: a hung CLS call, a slow client or a
 * dead collector must not keep the process alive past `forceAfterMs` (orchestrators kill at 10 s).
 * A second signal exits at once (the database closed first).
 */
export function exitOnSignals(running: Running, log: Logger, opts: { forceAfterMs?: number; after?: () => Promise<void> } = {}): void {
  let stopping = false;
  /** Without waiting for what is left; the database is closed first. */
  const exitNow = (why: string, fields: Record<string, string | number>): never => {
    log.warn(why, fields);
    running.abandon();
    process.exit(0);
  };
  const shutdown = (signal: string) => {
    // A second Ctrl-C.
    if (stopping) exitNow("second signal; exiting now", { signal });
    stopping = true;
    const started = Date.now();
    log.info("shutting down", { signal });
    const force = setTimeout(
      () => exitNow("shutdown took too long; exiting now", { after_ms: Date.now() - started }),
      opts.forceAfterMs ?? 8_000,
    );
    running
      .stop()
      .then(() => opts.after?.())
      .catch((err) => log.error("shutdown failed", { error: (err as Error).message }))
      .finally(() => {
        clearTimeout(force);
        log.info("stopped", { after_ms: Date.now() - started });
        process.exit(0);
      });
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}
