/**
 * (f) OTLP push: what one push of the large org costs the event loop, and whether pushing every
 * second to a dead collector slows /metrics or grows memory.
 *
 * 1. In-process (bench/otlp/push-cost.ts): the real exporter graph (loadConfig + createExporter)
 *    holds the large-org snapshot; pushes go to the test suite's OTLP gRPC receiver, run in its own
 *    process (bench/otlp-receiver.ts) so that decoding the pushes does not share our event loop.
 *    Times toResourceMetrics(), the synchronous part of OTLPMetricExporter.export() (built as
 *    src/otlp/load.ts builds it), the synchronous part of the real OtlpPusher.push(), the longest
 *    event-loop stall a 1 ms interval probe sees, and the wall time until the receiver acknowledged;
 *    compression none and gzip.
 * 2. /metrics req/s (wrk) of the exporter process with push off, pushing every 1 s to a closed port
 *    ("refused") and to a TCP listener that accepts and never answers ("black-holed"), one exporter at
 *    a time, the order rotated per round (bench/otlp/metrics-under-push.ts).
 * 3. RSS, CPU and open fds of the exporter process over a minute in the same three variants
 *    (bench/otlp/memory-under-push.ts).
 *
 *   bun run bench/otlp.ts [--pushes 30] [--rounds 5] [--duration 8] [--connections 32] [--memory-seconds 60]
 *                         [--parts cost,throughput,memory]
 */
import { startSimulator } from "../src/sim/index.ts";
import { deadline, killChildren } from "./lib/processes.ts";
import { machineNotes, revision } from "./lib/report.ts";
import { API_KEY, LARGE_ORG_CLI, largeOrg } from "./lib/simulator.ts";
import { blackHole, VARIANTS, variantEnvs } from "./otlp/dead-collector.ts";
import { memoryUnderPush } from "./otlp/memory-under-push.ts";
import { metricsUnderPush } from "./otlp/metrics-under-push.ts";
import { otlpOptions } from "./otlp/options.ts";
import { pushCost } from "./otlp/push-cost.ts";
import { reportMemory, reportPushCost, reportThroughput, reportWarnings } from "./otlp/report.ts";

const o = otlpOptions(Bun.argv.slice(2));
deadline(o.budgetMs);

const started = new Date();
// Taken now: the code measured is the code at the start of the run.
const commit = revision();
const cost = o.parts.has("cost") ? await pushCost(o.pushes, Math.ceil(o.budgetMs / 1000)) : undefined;
const sim = startSimulator({ scenario: largeOrg(), apiKey: API_KEY });
const hole = blackHole();
const envs = variantEnvs(hole);
const runs = o.parts.has("throughput") ? await metricsUnderPush(envs, sim, o) : undefined;
const mem = o.parts.has("memory") ? await memoryUnderPush(envs, sim, hole, o.memoryMs) : undefined;

console.log(`## (f) OTLP push (${machineNotes()}, started ${started.toISOString()}, commit ${commit})\n`);
console.log(
  `Org generated ${LARGE_ORG_CLI}; \`bun run bench/otlp.ts ${Bun.argv.slice(2).join(" ")}\` (--pushes ${o.pushes} --rounds ${o.rounds} --duration ${o.duration} --connections ${o.connections} --memory-seconds ${o.memoryMs / 1000} --parts ${[...o.parts].join(",")}).\n`,
);
if (cost) reportPushCost(cost.cases, cost.logLines, o);
if (runs) reportThroughput(runs, o);
if (mem) reportMemory(mem, hole.conns, o);
reportWarnings([
  ...(runs ? VARIANTS.flatMap((v) => runs[v].flatMap((r) => r.warnings)) : []),
  ...(mem ? VARIANTS.flatMap((v) => mem[v].warnings) : []),
]);

killChildren();
hole.stop();
await sim.stop();
process.exit(0);
