import { readdirSync } from "node:fs";
import { Counter, Gauge, type Registry } from "prom-client";
import { type Format, newRegistry, withoutEof } from "./prometheus.ts";

/**
 * The process figures that are true on Bun. prom-client's default metrics are not (on Bun the GC
 * histogram never fills, active handles read 0, virtual memory is wrong), so only these are kept.
 */
export function createProcessMetrics(startedAtMs: number): (format: Format) => Promise<string> {
  const registries = new Map<Format, Registry>();
  for (const format of ["text", "openmetrics"] as const) {
    const r = newRegistry(format);
    new Gauge({
      name: "process_resident_memory_bytes",
      help: "Resident memory size in bytes.",
      registers: [r],
      collect() {
        this.set(process.memoryUsage.rss());
      },
    });
    new Counter({
      name: "process_cpu_seconds_total",
      help: "Total user and system CPU time spent in seconds.",
      registers: [r],
      collect() {
        const { user, system } = process.cpuUsage();
        this.reset();
        this.inc((user + system) / 1e6);
      },
    });
    new Gauge({
      name: "process_start_time_seconds",
      help: "Start time of the process since unix epoch in seconds.",
      registers: [r],
      collect() {
        this.set(startedAtMs / 1000);
      },
    });
    new Gauge({
      name: "process_open_fds",
      help: "Number of open file descriptors.",
      registers: [r],
      collect() {
        this.set(openFds());
      },
    });
    registries.set(format, r);
  }
  return async (format) => withoutEof(await registries.get(format)!.metrics());
}

function openFds(): number {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return 0;
  }
}
