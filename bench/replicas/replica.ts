/**
 * An exporter replica of the benchmark's org on a PostgreSQL database, as its own process
 * (bench/lib/exporter.ts), with the moments its log lines arrived: failover is timed from them.
 */
import { type ExporterProcess, startExporter } from "../lib/exporter.ts";

export const LEADS = /msg="this exporter leads its org/;
export const FOLLOWS = /msg="following the org's leader"/;

/** When (performance.now()) the next line matching a pattern arrives; register before causing it. */
export interface LineClock {
  onLine: (line: string) => void;
  next: (pattern: RegExp, timeoutMs: number) => Promise<number>;
}

export function lineClock(): LineClock {
  const waiting = new Set<{ pattern: RegExp; resolve: (at: number) => void }>();
  return {
    onLine(line) {
      const at = performance.now();
      for (const w of waiting)
        if (w.pattern.test(line)) {
          waiting.delete(w);
          w.resolve(at);
        }
    },
    next(pattern, timeoutMs) {
      const { promise, resolve, reject } = Promise.withResolvers<number>();
      const w = { pattern, resolve };
      waiting.add(w);
      const timer = setTimeout(() => {
        waiting.delete(w);
        reject(new Error(`no line ${pattern} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      return promise.finally(() => clearTimeout(timer));
    },
  };
}

export interface Replica {
  exporter: ExporterProcess;
  clock: LineClock;
}

export interface ReplicaTarget {
  clsUrl: string;
  orgName: string;
  dbUrl: string;
  /** Added to the exporter's environment (CACHE_TTL and the like); the rest are the exporter's defaults. */
  env: Record<string, string>;
}

/**
 * Starts a replica and resolves once it has taken its role: `role` says which one is expected
 * (the first replica on an empty database leads, the next ones follow).
 */
export async function startReplica(target: ReplicaTarget, role: "leader" | "follower"): Promise<Replica> {
  const clock = lineClock();
  const taken = clock.next(role === "leader" ? LEADS : FOLLOWS, 60_000);
  // A start that fails first is the error reported; this one is then moot.
  taken.catch(() => {});
  const exporter = await startExporter(
    target.clsUrl,
    target.orgName,
    { DATABASE_URL: target.dbUrl, ...target.env },
    { onLine: clock.onLine, waitFor: role === "leader" ? "refresh" : "listening", timeoutMs: 60_000 },
  );
  await taken;
  return { exporter, clock };
}

/** kill -9: the process gets no chance to end its database sessions. */
export async function killHard(r: Replica): Promise<void> {
  r.exporter.child.kill("SIGKILL");
  await r.exporter.child.exited;
}

/** A normal stop (SIGTERM), waited for. */
export async function stopReplica(r: Replica): Promise<void> {
  r.exporter.child.kill();
  await r.exporter.child.exited;
}
