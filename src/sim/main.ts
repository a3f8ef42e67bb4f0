/**
 * CLI: run a simulator until SIGINT/SIGTERM. stdout gets exactly one line, the base URL, so
 * scripts can read it (`url=$(bun run src/sim/main.ts ... | head -1)`); everything else goes to stderr.
 *
 *   bun run src/sim/main.ts --scenario lic-example | --generate 20x10x5x10 [--seed N] [--port N]
 *     [--host H] [--api-key K] [--compressed] [--latency-ms N] [--churn-interval 5s] [--tricky]
 *     [--org NAME] [--pools N] [--instances N]
 *   bun run src/sim/main.ts --replay DIR [--port N] [--host H] [--api-key K]
 */
import { parseArgs } from "node:util";
import { parseDuration } from "../duration.ts";
import { loadScenario, type ScenarioName } from "./fixtures.ts";
import { generateOrg } from "./generate.ts";
import type { SimModel } from "./model.ts";
import { serveReplay } from "./replay-server.ts";
import { startSimulator } from "./server.ts";
import { addTrickyData } from "./tricky.ts";

const USAGE =
  "usage: bun run src/sim/main.ts (--scenario lic-example | --generate VxSxFxL) [--seed N] [--port N] [--host H]\n" +
  "  [--api-key K] [--compressed] [--latency-ms N] [--churn-interval 5s] [--tricky] [--org NAME] [--pools N] [--instances N]\n" +
  "   or: bun run src/sim/main.ts --replay DIR [--port N] [--host H] [--api-key K (default: any key)]";

/** The exporter's own Go-style durations, so both CLIs read "1m30s" alike. */
export function churnInterval(raw: string): number {
  const ms = parseDuration(raw.trim());
  if (ms === undefined) throw new Error(`bad duration "${raw}" (e.g. 500ms, 5s, 1m)`);
  return ms;
}

function intOption(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new Error(`--${name} must be a non-negative integer, got "${raw}"`);
  return Number(raw);
}

type Values = ReturnType<typeof parse>["values"];

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    options: {
      scenario: { type: "string" },
      generate: { type: "string" },
      seed: { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
      "api-key": { type: "string" },
      compressed: { type: "boolean" },
      "latency-ms": { type: "string" },
      "churn-interval": { type: "string" },
      tricky: { type: "boolean" },
      org: { type: "string" },
      pools: { type: "string" },
      instances: { type: "string" },
      replay: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

function buildModel(v: Values): SimModel {
  const seed = intOption(v.seed, "seed", 1);
  if (v.scenario !== undefined && v.generate !== undefined) throw new Error("use --scenario or --generate, not both");
  let model: SimModel;
  if (v.generate !== undefined) {
    const m = /^(\d+)x(\d+)x(\d+)x(\d+)$/.exec(v.generate);
    if (!m) throw new Error(`--generate wants VxSxFxL (groups x servers x features x leases), got "${v.generate}"`);
    const [vgs, servers, features, leases] = m.slice(1).map(Number) as [number, number, number, number];
    model = generateOrg({
      orgName: v.org ?? "sim-org",
      virtualGroups: vgs,
      serversPerGroup: servers,
      featuresPerServer: features,
      leasesPerFeature: leases,
      poolsPerServer: intOption(v.pools, "pools", 1),
      ...(v.instances !== undefined ? { instancesPerGroup: intOption(v.instances, "instances", 1) } : {}),
      seed,
    });
  } else {
    if (v.scenario !== undefined && v.scenario !== "lic-example") throw new Error(`unknown scenario "${v.scenario}"`);
    model = loadScenario((v.scenario ?? "lic-example") as ScenarioName);
  }
  if (v.tricky) console.error(`sim: tricky data added: ${addTrickyData(model, undefined, seed).join(", ")}`);
  return model;
}

function main(argv: string[]): void {
  const { values: v } = parse(argv);
  if (v.help) {
    console.error(USAGE);
    return;
  }
  if (v.replay !== undefined) {
    void replay(v);
    return;
  }
  const model = buildModel(v);
  const sim = startSimulator({
    scenario: model,
    apiKey: v["api-key"] ?? process.env.SIM_API_KEY ?? "sim-key",
    port: intOption(v.port, "port", 0),
    hostname: v.host ?? "127.0.0.1",
    compressedLeases: v.compressed ?? false,
    latencyMs: intOption(v["latency-ms"], "latency-ms", 0),
    seed: intOption(v.seed, "seed", 1),
  });
  const interval = v["churn-interval"] !== undefined ? churnInterval(v["churn-interval"]) : 0;
  const timer = interval > 0 ? setInterval(() => sim.tick(), interval) : undefined;
  console.log(sim.url);
  console.error(`sim: org ${sim.orgName}, ${sim.expected().leases.distinct} leases, churn ${interval ? `every ${interval} ms` : "off"}`);
  const shutdown = () => {
    clearInterval(timer);
    void sim.stop().then(() => process.exit(0));
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

/** --replay DIR: the capture served as it was captured; the same stdout line, the org to point the exporter at on stderr. */
async function replay(v: Values): Promise<void> {
  const others = Object.keys(v).filter((k) => !["replay", "port", "host", "api-key"].includes(k));
  if (others.length > 0) fail(`--replay takes only --port, --host and --api-key, not --${others.join(", --")}`);
  const hostname = v.host ?? "127.0.0.1";
  const replaying = await serveReplay(v.replay ?? "", { hostname, port: intOption(v.port, "port", 0), apiKey: v["api-key"] }).catch((e) =>
    fail(`cannot replay ${v.replay}: ${(e as Error).message}`),
  );
  console.log(replaying.url);
  console.error(
    `sim: replaying ${v.replay}: ${replaying.answers} captured answers; point the exporter at ` +
      `NVIDIA_API_BASE_URL=${replaying.url} NVIDIA_ORG_NAME=${replaying.org}` +
      (v["api-key"] === undefined ? " (any API key)" : ""),
  );
  const shutdown = () => void replaying.stop().then(() => process.exit(0));
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

function fail(message: string): never {
  console.error(`sim: ${message}\n${USAGE}`);
  process.exit(2);
}

if (import.meta.main) {
  try {
    main(Bun.argv.slice(2));
  } catch (e) {
    console.error(`sim: ${(e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}
