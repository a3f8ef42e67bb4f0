import type { Logger } from "./log.ts";

/**
 * The open-files limit, read at start and weighed against what the configuration needs. Every
 * connection (a scraper, a browser, a health check, a CLS call) takes a descriptor; past the limit
 * new connections wait in the kernel's backlog and /metrics and /healthz stall.
 *
 * Bun itself raises the soft limit to the hard one at start (Bun 1.4.5, measured: `ulimit -Sn 64`
 * under a hard 20,000 gives the process 20,000), as Go programs do, so only the hard limit can be
 * too low here; nothing is raised by this module.
 */

/** Descriptors that are not connections: stdio, SQLite (database, WAL, shared memory), the event loop, TLS and /proc reads, OTLP. */
export const FD_BASE = 64;
/** Client connections that must fit at once: scrapers, browsers and health checks, with room for a burst. */
export const FD_CLIENT_CONNECTIONS = 1024;

/** What the configuration needs: FD_BASE + 2 × PARALLELISM (a CLS connection per call, and one closing after a retry) + FD_CLIENT_CONNECTIONS. */
export const fdNeed = (parallelism: number) => FD_BASE + 2 * parallelism + FD_CLIENT_CONNECTIONS;

export interface FdLimit {
  soft: number;
  hard: number;
}

/** "Max open files" of /proc/self/limits (Linux); undefined when absent or unreadable. "unlimited" reads as Infinity. */
export function parseFdLimit(procLimits: string): FdLimit | undefined {
  const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)\s/m.exec(procLimits);
  if (!m) return undefined;
  const num = (s: string) => (s === "unlimited" ? Number.POSITIVE_INFINITY : Number(s));
  return { soft: num(m[1]!), hard: num(m[2]!) };
}

/** Logs the limit at start, and warns when it is below what the configuration needs. `read` gives /proc/self/limits or throws. */
export function logFdLimit(log: Logger, parallelism: number, read: () => string): void {
  const need = fdNeed(parallelism);
  let limit: FdLimit | undefined;
  try {
    limit = parseFdLimit(read());
  } catch {
    limit = undefined;
  }
  if (!limit) {
    log.info("open files limit", { limit: "unknown", needed: need });
    return;
  }
  const fields = { limit: limit.soft, hard_limit: limit.hard, needed: need };
  if (limit.soft >= need) {
    log.info("open files limit", fields);
    return;
  }
  log.warn("open files limit is low for this configuration: connections past it wait and /metrics and /healthz stall", {
    ...fields,
    connections_that_fit: Math.max(0, limit.soft - FD_BASE - 2 * parallelism),
    hint: "raise it: systemd LimitNOFILE=, ulimit -n, docker run --ulimit nofile=; see README 'Open files'",
  });
}
