import type { FieldSink } from "../cls/fields.ts";
import type { HttpDeps } from "../cls/http.ts";
import type { Config } from "../config/index.ts";
import { createExporter } from "../context.ts";
import type { Logger } from "../log.ts";
import type { BuildInfo } from "../render/catalog.ts";
import type { Snapshot } from "../snapshot/types.ts";

export interface OnceDeps {
  fetch: HttpDeps["fetch"];
  now: () => number;
  log: Logger;
  build: BuildInfo;
  /** Hears every field name and page (the diagnosis). */
  fields?: FieldSink;
  /** Hears every CLS attempt (the diagnosis). */
  onAttempt?: HttpDeps["onAttempt"];
}

/**
 * One refresh exactly as the exporter makes it (the same client, bounds, retries and refresh log
 * line), with nothing else: no port, no database, no lock, no timer, no OTLP. What a command reports on.
 */
export async function refreshOnce(config: Config, deps: OnceDeps): Promise<Snapshot> {
  const exporter = createExporter(config, deps);
  try {
    const snapshot = await exporter.cache.get();
    // The cache only lacks a snapshot when the refresh itself crashed, which it logged.
    if (!snapshot) throw new Error("the refresh ended without a snapshot (see the log above)");
    return snapshot;
  } finally {
    await exporter.stop();
  }
}

/** 0: every call answered and every item understood; 1: a part failed or items were unreadable (2, bad configuration, is decided before). */
export const exitCodeOf = (s: Snapshot): 0 | 1 => (s.failures.length === 0 && s.invalidItems.every(([, n]) => n === 0) ? 0 : 1);
