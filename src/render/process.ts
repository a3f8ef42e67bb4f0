import { readdirSync } from "node:fs";
import type { Sample } from "./catalog.ts";
import { exposition, type Family, type Format } from "./exposition.ts";

/**
 * The process figures that are true on Bun. prom-client's default metrics are not (on Bun the GC
 * histogram never fills, active handles read 0, virtual memory is wrong), so only these are kept,
 * under prom-client's names and help texts, read at each render.
 */
export function createProcessMetrics(startedAtMs: number): (format: Format) => Promise<string> {
  const family = (name: string, type: Family["type"], help: string): Family => ({ name, type, help, labels: [] });
  const one = (value: number): Sample[] => [{ labels: {}, value }];
  return async (format) => {
    const { user, system } = process.cpuUsage();
    return exposition(
      [
        [family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes."), one(process.memoryUsage.rss())],
        [family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds."), one((user + system) / 1e6)],
        [family("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds."), one(startedAtMs / 1000)],
        [family("process_open_fds", "gauge", "Number of open file descriptors."), one(openFds())],
      ],
      format,
    );
  };
}

function openFds(): number {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return 0;
  }
}
