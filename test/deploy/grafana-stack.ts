/**
 * What the dashboard's queries run against: the simulator (lic-example with its tricky leases, so
 * unattributed leases exist), two exporters of the same org scraped as two instances of the job
 * `nvidia-cls` (replicas: a query that sums across them would double every seat), both pushing
 * OTLP to a real receiver, and a real Prometheus loading deploy/prometheus/recording-rules.yml.
 */
import { loadScenario } from "../../src/sim/fixtures.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import { addTrickyData } from "../../src/sim/tricky.ts";
import { type Exporter, type Harness, waitFor } from "../integration/harness.ts";
import { type Receiver, startReceiver } from "../integration/otlp-receiver.ts";
import { type Prometheus, startPrometheus } from "../integration/prom.ts";
import { loadRules, RULES_DIR } from "./rules.ts";

const API_KEY = "grafana-test-key";
export const JOB = "nvidia-cls";
export const WAIT = { timeoutMs: 60_000, intervalMs: 250 };

export interface Stack {
  sim: Simulator;
  receiver: Receiver;
  exporters: Exporter[];
  prom: Prometheus;
  stop(): Promise<void>;
}

function prometheusConfig(exporters: Exporter[]): string {
  const targets = exporters.map((e) => `"${e.host}"`).join(", ");
  return [
    "global:",
    "  scrape_interval: 1s",
    "  scrape_timeout: 1s",
    "  evaluation_interval: 1s",
    "rule_files:",
    `  - ${RULES_DIR}recording-rules.yml`,
    "scrape_configs:",
    `  - job_name: ${JOB}`,
    "    static_configs:",
    `      - targets: [${targets}]`,
    "",
  ].join("\n");
}

export async function startStack(harness: Harness): Promise<Stack> {
  const model = loadScenario("lic-example");
  if (!addTrickyData(model).includes("orphanInMultiServerGroup")) throw new Error("lic-example lost its unattributed lease");
  const sim = startSimulator({ scenario: model, apiKey: API_KEY, port: 0, seed: 16 });
  const receiver = await startReceiver();
  const stop = async () => {
    await harness.cleanup();
    await Promise.allSettled([sim.stop(), receiver.stop()]);
  };
  try {
    const env = {
      NVIDIA_API_KEY: API_KEY,
      NVIDIA_ORG_NAME: sim.orgName,
      NVIDIA_API_BASE_URL: sim.url,
      CACHE_TTL: "2s",
      SCRAPE_TIMEOUT: "10s",
      OTEL_ENABLED: "true",
      OTEL_ENDPOINT: `127.0.0.1:${receiver.port}`,
      OTEL_PUSH_INTERVAL: "1s",
    };
    const exporters = await Promise.all([0, 1].map(() => harness.startExporter(env, { ...WAIT, waitUp: true })));
    const prom = await startPrometheus(harness, prometheusConfig(exporters), WAIT);
    await waitForRecordingRules(prom);
    return { sim, receiver, exporters, prom, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Until every recording rule of deploy/prometheus has produced a sample from both replicas' data. */
async function waitForRecordingRules(prom: Prometheus): Promise<void> {
  const { records } = await loadRules();
  await waitFor(
    "every recording rule to have evaluated with both replicas scraped",
    async () => {
      if ((await prom.query(`count(up{job="${JOB}"} == 1) == 2`)).length === 0) return undefined;
      const empty = [];
      for (const r of records) if ((await prom.query(r.record)).length === 0) empty.push(r.record);
      if (empty.length) throw new Error(`no sample yet: ${empty.join(", ")}`);
      return true;
    },
    WAIT,
  );
}
