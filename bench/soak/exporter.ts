/**
 * The soaked exporter: its own process with the lag probe (bench/soak-lag-probe.ts) preloaded,
 * its log tallied as it runs, its counters read from /metrics and its event-loop lag from the probe's file.
 */

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { logfmt, startExporter } from "../lib/exporter.ts";
import { sampleOf, sumOf } from "../lib/exposition.ts";
import { EXPORTER_ENV, SCRAPE_TIMEOUT_MS } from "./options.ts";

const PROBE = fileURLToPath(new URL("../soak-lag-probe.ts", import.meta.url));

/** Counts the exporter's log lines by level, message, endpoint and reason; keeps the last lines and the first errors. */
class LogTally {
  readonly counts = new Map<string, number>();
  readonly errors: string[] = [];
  readonly tail: string[] = [];
  /** duration_ms of the refreshes logged since the caller last emptied it. */
  refreshMs: number[] = [];

  add(line: string): void {
    if (!line.trim()) return;
    this.tail.push(line);
    if (this.tail.length > 40) this.tail.shift();
    const f = logfmt(line);
    if (f.msg?.startsWith("refresh ")) this.refreshMs.push(Number(f.duration_ms));
    if (f.level === "info") return;
    if (f.level === "error" && this.errors.length < 10) this.errors.push(line);
    const key = `level=${f.level ?? "?"} msg="${f.msg ?? line.slice(0, 120)}"${f.endpoint ? ` endpoint=${f.endpoint}` : ""}${f.reason ? ` reason=${f.reason}` : ""}`;
    if (this.counts.size < 100 || this.counts.has(key)) this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
}

export interface SoakTarget {
  simUrl: string;
  orgName: string;
  collectorPort: number;
  dbPath: string;
  lagFile: string;
}

export async function startSoakExporter(t: SoakTarget) {
  const log = new LogTally();
  const env = {
    DB_PATH: t.dbPath,
    OTEL_ENDPOINT: `127.0.0.1:${t.collectorPort}`,
    ...EXPORTER_ENV,
    SOAK_LAG_FILE: t.lagFile,
    SOAK_LAG_PERIOD_MS: "1000",
  };
  const e = await startExporter(t.simUrl, t.orgName, env, { preload: PROBE, onLine: (line) => log.add(line), timeoutMs: 60_000 });
  return { ...e, log };
}

export type SoakExporter = Awaited<ReturnType<typeof startSoakExporter>>;

export interface ExporterCounters {
  refreshes: number;
  up: number;
  refreshErrors: number;
  otlpExports: number;
  otlpFailures: number;
  historyBytes: number;
  historyWriteErrors: number;
}

/** The exporter's own counters from one plain scrape. */
export async function exporterCounters(url: string): Promise<ExporterCounters> {
  const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) })).text();
  const one = (name: string) => sampleOf(text, name) ?? Number.NaN;
  return {
    refreshes: one("nvidia_cls_refreshes_total"),
    up: one("nvidia_cls_up"),
    refreshErrors: sumOf(text, "nvidia_cls_refresh_errors_total"),
    otlpExports: one("nvidia_cls_otlp_exports_total"),
    otlpFailures: sumOf(text, "nvidia_cls_otlp_export_failures_total"),
    historyBytes: one("nvidia_cls_history_database_bytes"),
    historyWriteErrors: sumOf(text, "nvidia_cls_history_write_errors_total"),
  };
}

/** New complete lines of the probe's file since the last call: how late each 50 ms tick fired, in ms. */
export function lagReader(file: string) {
  let offset = 0;
  return (): number[] => {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      return [];
    }
    const end = text.lastIndexOf("\n") + 1;
    const fresh = text.slice(offset, end);
    offset = end;
    return fresh
      .split("\n")
      .filter(Boolean)
      .flatMap((l) => (JSON.parse(l) as { lateMs: number[] }).lateMs);
  };
}
