/**
 * Replicas on PostgreSQL: (1) failover time of two replicas, each round kill -9 of the leader,
 * measured to the follower's "this exporter leads its org" line and to the first snapshot it
 * writes, then the killed one started again as the follower; (2) idle RSS of a follower next to
 * its leader's and a SQLite exporter's, on the memory gate's org (as bench/memory.ts measures it).
 * A real PostgreSQL (test/pg/server.ts: Debian's postgresql package, a throwaway cluster on
 * 127.0.0.1), the CLS simulator in this process.
 *
 *   bun run bench/replicas.ts [--kills 7] [--cache-ttl 10s] [--runs 3] [--idle-seconds 5] [--parts failover,memory]
 */
import { parseArgs } from "node:util";
import { parseDuration } from "../src/duration.ts";
import { startSimulator } from "../src/sim/index.ts";
import { startPgServer } from "../test/pg/server.ts";
import { deadline } from "./lib/processes.ts";
import { machineNotes, progressOf, revision } from "./lib/report.ts";
import { API_KEY, LARGE_ORG_CLI, largeOrg, XL_ORG_CLI, xlOrg } from "./lib/simulator.ts";
import { failoverRounds } from "./replicas/failover.ts";
import { memoryRun } from "./replicas/memory.ts";
import { failoverReport, memoryReport, pgVersion } from "./replicas/report.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    kills: { type: "string", default: "7" },
    "cache-ttl": { type: "string", default: "10s" },
    runs: { type: "string", default: "3" },
    "idle-seconds": { type: "string", default: "5" },
    parts: { type: "string", default: "failover,memory" },
  },
});
const KILLS = Number(values.kills);
const CACHE_TTL = values["cache-ttl"];
const CACHE_TTL_MS = parseDuration(CACHE_TTL);
const RUNS = Number(values.runs);
const IDLE_MS = Number(values["idle-seconds"]) * 1000;
const PARTS = new Set(values.parts.split(","));
if (CACHE_TTL_MS === undefined || !(KILLS >= 1) || !(RUNS >= 1) || !(IDLE_MS >= 0)) {
  console.error("replicas: --kills and --runs must be ≥ 1, --cache-ttl a duration (10s), --idle-seconds ≥ 0");
  process.exit(2);
}
deadline(KILLS * (3 * CACHE_TTL_MS + 90_000) + RUNS * (IDLE_MS + 180_000) + 120_000);
const progress = progressOf("replicas");

const server = startPgServer();
console.log(`## Replicas on PostgreSQL (${machineNotes()}, ${pgVersion()}, commit ${revision()})\n`);

if (PARTS.has("failover")) {
  const sim = startSimulator({ scenario: largeOrg(), apiKey: API_KEY });
  const dbUrl = await server.createDatabase("replicas_failover");
  progress(`failover: ${KILLS} kills, CACHE_TTL ${CACHE_TTL}, org ${LARGE_ORG_CLI}`);
  const rounds = await failoverRounds(
    { clsUrl: sim.url, orgName: sim.orgName, dbUrl, env: { CACHE_TTL } },
    { kills: KILLS, cacheTtlMs: CACHE_TTL_MS, progress },
  );
  await sim.stop();
  console.log(failoverReport(rounds, { cacheTtl: CACHE_TTL, cacheTtlMs: CACHE_TTL_MS, org: LARGE_ORG_CLI }));
}

if (PARTS.has("memory")) {
  const sim = startSimulator({ scenario: xlOrg(), apiKey: API_KEY });
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    progress(`memory: run ${i + 1}/${RUNS}, org ${XL_ORG_CLI}`);
    runs.push(await memoryRun(server, sim, i, IDLE_MS));
  }
  await sim.stop();
  console.log(memoryReport(runs, { org: XL_ORG_CLI, idleMs: IDLE_MS }));
}

server.stop();
process.exit(0);
