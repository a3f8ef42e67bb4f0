import pkg from "../package.json" with { type: "json" };
import { backfillDemo } from "./demo-backfill.ts";
import { demoScenario } from "./sim/demo-scenario.ts";
import { mulberry32 } from "./sim/random.ts";
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
/** The simulated past written on a first start: 3 weeks, one refresh every 15 minutes (2,016 refreshes, 30,240 records: 3–4 s on 2 cores). */
const BACKFILL_SPAN_MS = 21 * 86_400_000;
const BACKFILL_STEP_MS = 15 * 60_000;
const PAGE_BANNER = "Demo: a simulated CLS org. The history before this demo was first started is simulated (back-filled), not recorded.";

const startedAt = Date.now();
const seed = startedAt % 1_000_000;
const sim = startSimulator({ scenario: demoScenario({ startedAt }), apiKey: DEMO_KEY, seed, now: Date.now });
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

void start({
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
  simulated     a first start back-fills 3 weeks of history; "NVIDIA AI Enterprise" (Default VG) is full 11:00–13:00 UTC daily
Press Ctrl-C to stop.

`,
  pageBanner: PAGE_BANNER,
  backfill: async (store, config, log) => {
    // Its own model of the same org, moved from four weeks ago to now: the live simulator is not touched.
    const rng = mulberry32(seed + 1);
    const model = demoScenario({ startedAt, at: startedAt - BACKFILL_SPAN_MS, rng });
    try {
      await backfillDemo({
        store,
        config,
        log,
        build: { version: pkg.version, revision: "demo", bunVersion: Bun.version },
        model,
        apiKey: DEMO_KEY,
        rng,
        untilMs: startedAt,
        spanMs: BACKFILL_SPAN_MS,
        stepMs: BACKFILL_STEP_MS,
      });
    } catch (err) {
      log.warn("demo history not back-filled", { error: (err as Error).message });
    }
  },
  after: async () => {
    clearInterval(churn);
    await sim.stop();
  },
});
