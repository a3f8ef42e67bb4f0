/** The exporter's real object graph in the benchmark's own process (no HTTP server, no timers until start()). */

import { readFileSync } from "node:fs";
import { type Config, loadConfig } from "../../src/config/index.ts";
import { createExporter } from "../../src/context.ts";
import { type Logger, silentLogger } from "../../src/log.ts";

export const BENCH_BUILD = { version: "bench", revision: "bench", bunVersion: Bun.version };

/** The configuration `env` gives, as the composition root would load it (no flags). */
export const benchConfig = (env: Record<string, string>): Config =>
  loadConfig({ env, argv: [], readFile: (path) => readFileSync(path, "utf8"), hostname: "bench" });

/** createExporter with real fetch and clock; the log is silent unless one is given. */
export const exporterGraph = (config: Config, log: Logger = silentLogger) =>
  createExporter(config, { fetch: (input, init) => fetch(input, init), now: Date.now, log, build: BENCH_BUILD });
