/**
 * The CLS the benchmarks measure against: the large generated org, in this process or as the
 * simulator CLI in its own process (as a remote CLS would be: its CPU is not ours).
 */

import type { Subprocess } from "bun";
import { type GenerateOptions, generateOrg } from "../../src/sim/index.ts";
import { drain, firstLine, spawnChild } from "./processes.ts";

/** The key the simulator asks for and the exporter sends. */
export const API_KEY = "bench-key";

/** ~4,100 `nvidia_cls_*` series: 10 groups × 10 servers × 9 features × 10 leases, 1 pool each. */
export const LARGE_ORG: GenerateOptions = {
  orgName: "bench-org",
  virtualGroups: 10,
  serversPerGroup: 10,
  featuresPerServer: 9,
  leasesPerFeature: 10,
  seed: 1,
};
export const largeOrg = () => generateOrg(LARGE_ORG);
export const LARGE_ORG_CLI = "10x10x9x10";

/** 20 groups × 50 servers × 4 features (1 lease each, 1 pool per server): about 17,400 `nvidia_cls_*` series, the org of the memory gate (BENCHMARKS (c)). */
export const XL_ORG: GenerateOptions = {
  orgName: "bench-org",
  virtualGroups: 20,
  serversPerGroup: 50,
  featuresPerServer: 4,
  leasesPerFeature: 1,
  seed: 1,
};
export const xlOrg = () => generateOrg(XL_ORG);
export const XL_ORG_CLI = "20x50x4x1";

export interface SimulatorProcess {
  url: string;
  orgName: string;
  child: Subprocess;
  /** A call of the simulator's /_sim/ control API; fails loudly on any status but 2xx. */
  control(path: string, init?: RequestInit): Promise<any>;
}

/** `bun run src/sim/main.ts` serving the large org, plus `extraArgs` (latency, churn); resolves once it printed its URL. */
export async function startSimulatorProcess(extraArgs: string[] = []): Promise<SimulatorProcess> {
  const orgArgs = ["--generate", LARGE_ORG_CLI, "--seed", String(LARGE_ORG.seed), "--org", LARGE_ORG.orgName!, "--api-key", API_KEY];
  const child = spawnChild([process.execPath, "run", "src/sim/main.ts", ...orgArgs, ...extraArgs]);
  drain(child.stderr);
  const url = await firstLine(child.stdout, (l) => (l.startsWith("http://") ? l.trim() : undefined));
  const control = async (path: string, init?: RequestInit): Promise<any> => {
    const res = await fetch(`${url}/_sim/${path}`, init);
    const body = await res.json();
    if (!res.ok) throw new Error(`sim ${init?.method ?? "GET"} /_sim/${path}: ${res.status} ${JSON.stringify(body)}`);
    return body;
  };
  return { url, orgName: LARGE_ORG.orgName!, child, control };
}
