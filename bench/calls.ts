/**
 * (d) CLS calls per refresh against the minimum the API shape allows (the simulator's expected():
 * 1 + V + S + I, plus extra pages at page-size 100): lic-example, the large org, and two paged orgs
 * (more than 100 groups; more than 100 servers in a group). Counted by the simulator, two refreshes
 * each through a real exporter object graph (the second refresh reuses the first's data).
 *
 *   bun run bench/calls.ts
 */
import { type Expected, generateOrg, loadScenario, type SimModel, startSimulator } from "../src/sim/index.ts";
import { benchConfig, exporterGraph } from "./lib/exporter-graph.ts";
import { verdict } from "./lib/format.ts";
import { deadline } from "./lib/processes.ts";
import { machineNotes } from "./lib/report.ts";
import { API_KEY, LARGE_ORG_CLI, largeOrg } from "./lib/simulator.ts";

deadline(60_000);

const ORGS: [string, () => SimModel, boolean?][] = [
  ["lic-example", () => loadScenario("lic-example")],
  ["lic-example, compressed leases", () => loadScenario("lic-example"), true],
  [`generated ${LARGE_ORG_CLI}`, largeOrg],
  [
    "paged groups: 120 groups × 1 server",
    () =>
      generateOrg({ orgName: "paged-groups", virtualGroups: 120, serversPerGroup: 1, featuresPerServer: 2, leasesPerFeature: 2, seed: 2 }),
  ],
  [
    "paged servers: 2 groups × 250 servers, 5 instances each",
    () =>
      generateOrg({
        orgName: "paged-servers",
        virtualGroups: 2,
        serversPerGroup: 250,
        featuresPerServer: 2,
        leasesPerFeature: 1,
        instancesPerGroup: 5,
        seed: 3,
      }),
  ],
];

const fmtExpected = (c: Expected["calls"]) =>
  `${c.total} = ${c.virtualGroupPages} + ${c.licenseServerPages} + ${c.licensePools} + ${c.leases}`;

console.log(`## (d) CLS calls per refresh (${machineNotes()})\n`);
console.log(
  "Expected = VG-list pages + server-list pages + pool calls (one per server) + lease calls (one per service instance), at page-size 100.\n",
);
console.log(
  "| org | expected minimum | refresh 1: calls by simulator = VG + servers + pools + leases | refresh 2 | exporter's own count | page-size sent | verdict |",
);
console.log("|---|---|---|---|---|---|---|");
let allOk = true;
for (const [name, make, compressed] of ORGS) {
  const sim = startSimulator({ scenario: make(), apiKey: API_KEY, compressedLeases: compressed ?? false });
  const env = { NVIDIA_API_KEY: API_KEY, NVIDIA_ORG_NAME: sim.orgName, NVIDIA_API_BASE_URL: sim.url, CACHE_TTL: "1h" };
  const ex = exporterGraph(benchConfig(env));
  const exp = sim.expected().calls;
  const counts: string[] = [];
  const totals: number[] = [];
  let pageSizes = new Set<string>();
  for (let r = 0; r < 2; r++) {
    sim.resetStats();
    const snap = await ex.cache.refresh();
    if (!snap?.up) throw new Error(`${name}: refresh failed: ${JSON.stringify(snap?.failures[0])}`);
    const s = sim.stats();
    const by = (e: string) => s.byEndpoint[e] ?? 0;
    counts.push(`${s.total} = ${by("virtual_groups")} + ${by("license_servers")} + ${by("license_pools")} + ${by("leases")}`);
    totals.push(s.total);
    pageSizes = new Set(s.requests.flatMap((q) => (q.query["page-size"] ? [q.query["page-size"]] : [])));
    const shapeOk =
      by("virtual_groups") === exp.virtualGroupPages &&
      by("license_servers") === exp.licenseServerPages &&
      by("license_pools") === exp.licensePools &&
      by("leases") === exp.leases;
    allOk &&= shapeOk && s.total === exp.total && ex.stats.lastCalls === s.total;
  }
  const ok = totals.every((t) => t === exp.total) && ex.stats.lastCalls === exp.total;
  console.log(
    `| ${name} | ${fmtExpected(exp)} | ${counts[0]} | ${counts[1]} | ${ex.stats.lastCalls} | ${[...pageSizes].join(", ") || "none"} | ${verdict(ok)} |`,
  );
  await sim.stop();
}
console.log(`\nAll orgs at the minimum, endpoint by endpoint: ${verdict(allOk)}`);
process.exit(0);
