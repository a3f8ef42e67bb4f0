import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import pkg from "../package.json" with { type: "json" };
import { authSchemes, loadConfig } from "./config.ts";
import { ConfigError } from "./errors.ts";
import { usage } from "./flags.ts";
import { exitOnSignals, processLogger } from "./lifecycle.ts";
import { releaseMemory } from "./memory.ts";
import { startServer } from "./server.ts";
import { openHistory } from "./store/open.ts";

/** Composition root: the only place that reads env, files and ports, and installs signal handlers. */
const argv = process.argv.slice(2);

if (argv.some((a) => /^--?(h|help)$/.test(a))) {
  process.stdout.write(usage());
  process.exit(0);
}
if (argv.some((a) => /^--?version$/.test(a))) {
  process.stdout.write(`nvidia-license-server-exporter ${pkg.version} (Bun ${Bun.version})\n`);
  process.exit(0);
}

let config;
try {
  config = loadConfig({ env: process.env, argv, readFile: (p) => readFileSync(p, "utf8"), hostname: hostname() });
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`nvidia-license-server-exporter: ${err.message}\nRun with --help for every setting.\n`);
  process.exit(2);
}
const log = processLogger(config);
for (const warning of config.warnings) log.warn(warning);

const build = { version: pkg.version, revision: process.env.GIT_REVISION || "unknown", bunVersion: Bun.version };
// Opened (and the last snapshot loaded) before the port is bound, so the first scrape already has data.
// A database that cannot be used is logged and counted; the exporter serves /metrics without it.
const history = openHistory(config, { now: Date.now, log });
let running;
try {
  running = startServer(config, { fetch: (input, init) => fetch(input, init), now: Date.now, log, build, history, releaseMemory });
} catch (err) {
  log.error((err as Error).message);
  history.close();
  process.exit(1);
}
log.info("listening", {
  url: running.url,
  metrics_path: config.metricsPath,
  org: config.orgName,
  cls: config.baseUrl,
  auth: authSchemes(config).join("+") || "none",
});

exitOnSignals(running, log);
