import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import pkg from "../package.json" with { type: "json" };
import { loadConfig } from "./config/index.ts";
import type { ConfigError } from "./errors.ts";
import { exitOnSignals, processLogger } from "./lifecycle.ts";
import { startServer } from "./server.ts";
import { loadScenario } from "./sim/fixtures.ts";
import { startSimulator } from "./sim/server.ts";
import { openHistory } from "./store/open.ts";

/**
 * `npm run demo`: the exporter against our CLS simulator, no NVIDIA key needed. Leases churn every
 * few seconds and the cache refreshes every 10 s, so numbers visibly move. Exporter flags still
 * apply (e.g. `npm run demo -- -listen-address :9900`).
 */
const DEMO_KEY = `demo-${crypto.randomUUID()}`;
const CHURN_MS = 3_000;

const sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: DEMO_KEY, seed: Date.now() % 1_000_000 });
const churn = setInterval(() => sim.tick(), CHURN_MS);

let config;
try {
  // Its own database, so a demo never mixes into a real org's history kept in the same folder.
  const env: Record<string, string | undefined> = {
    CACHE_TTL: "10s",
    DB_PATH: "./data/demo.db",
    ...process.env,
    NVIDIA_API_KEY: DEMO_KEY,
    NVIDIA_ORG_NAME: sim.orgName,
    NVIDIA_API_BASE_URL: sim.url,
  };
  delete env.NVIDIA_API_KEY_FILE;
  // readFile serves the OTLP TLS files; the demo key is set inline, never read from a file.
  config = loadConfig({ env, argv: process.argv.slice(2), readFile: (p) => readFileSync(p, "utf8"), hostname: hostname() });
} catch (err) {
  process.stderr.write(`demo: ${(err as ConfigError).message}\n`);
  process.exit(2);
}

const log = processLogger(config);
for (const warning of config.warnings) log.warn(warning);
const history = openHistory(config, { now: Date.now, log });
let running;
try {
  running = startServer(config, {
    fetch: (input, init) => fetch(input, init),
    now: Date.now,
    log,
    history,
    build: { version: pkg.version, revision: "demo", bunVersion: Bun.version },
  });
} catch (err) {
  process.stderr.write(`demo: ${(err as Error).message}\nSet another address, e.g. npm run demo -- -listen-address 127.0.0.1:9900\n`);
  process.exit(1);
}

process.stdout.write(`
NVIDIA CLS exporter demo (simulated org "${sim.orgName}", leases change every ${CHURN_MS / 1000} s)
  status page   ${running.url}/
  metrics       ${running.url}${config.metricsPath}
  health        ${running.url}/healthz
  history       ${running.url}/history   (lease trends, kept in ${config.dbPath} across restarts)
  simulator     ${sim.url}/_sim/expected   (the numbers the exporter should show)
Press Ctrl-C to stop.

`);

exitOnSignals(running, log, {
  after: async () => {
    clearInterval(churn);
    await sim.stop();
  },
});
