import { loadScenario } from "./sim/fixtures.ts";
import { startSimulator } from "./sim/server.ts";
import { start } from "./start.ts";

/**
 * `npm run demo`: the exporter against our CLS simulator, no NVIDIA key needed. Leases churn every
 * few seconds and the cache refreshes every 10 s, so numbers visibly move. It listens on 127.0.0.1
 * (it has no authentication); exporter flags and variables still apply, e.g.
 * `npm run demo -- -listen-address :9900` to be reached from elsewhere.
 */
const DEMO_KEY = `demo-${crypto.randomUUID()}`;
const CHURN_MS = 3_000;

const sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: DEMO_KEY, seed: Date.now() % 1_000_000 });
const churn = setInterval(() => sim.tick(), CHURN_MS);

const env: Record<string, string | undefined> = {
  CACHE_TTL: "10s",
  // Its own database, so a demo never mixes into a real org's history kept in the same folder.
  DB_PATH: "./data/demo.db",
  LISTEN_ADDRESS: `127.0.0.1:${process.env.PORT ?? 9844}`,
  ...process.env,
  // The demo key is set inline, never read from a file.
  NVIDIA_API_KEY: DEMO_KEY,
  NVIDIA_API_KEY_FILE: undefined,
  NVIDIA_ORG_NAME: sim.orgName,
  NVIDIA_API_BASE_URL: sim.url,
};

start({
  name: "demo",
  env,
  argv: process.argv.slice(2),
  revision: "demo",
  listenHint: "set another address, e.g. npm run demo -- -listen-address 127.0.0.1:9900",
  historyHint:
    "another demo runs: stop it, or give this one its own database and address, e.g. npm run demo -- -db-path ./data/demo-2.db -listen-address 127.0.0.1:9900",
  banner: (url, config) => `
NVIDIA CLS exporter demo (simulated org "${sim.orgName}", leases change every ${CHURN_MS / 1000} s)
  status page   ${url}/
  metrics       ${url}${config.metricsPath}
  health        ${url}/healthz
  history       ${url}/history   (lease trends, ${config.dbPath === ":memory:" ? "in memory only: gone when the demo stops" : `kept in ${config.dbPath} across restarts`})
  simulator     ${sim.url}/_sim/expected   (the numbers the exporter should show)
Press Ctrl-C to stop.

`,
  after: async () => {
    clearInterval(churn);
    await sim.stop();
  },
});
