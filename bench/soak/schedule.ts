/**
 * What breaks when during the soak: CLS faults replaced every --fault-every seconds from a fixed
 * cycle (with fault-free windows in between), and the collector up for --collector-up seconds,
 * then down for --collector-down.
 */

import type { FaultRuleInput } from "../../src/sim/faults.ts";
import type { Collector } from "../lib/collector.ts";
import { minSec } from "../lib/format.ts";
import { progressOf } from "../lib/report.ts";
import { sleepUntil, type Timeline } from "./timeline.ts";

const progress = progressOf("soak");

export interface Fault {
  name: string;
  rules: FaultRuleInput[];
}

/** The cycle of faults, one per --fault-every window; "none" windows let the exporter recover in between. */
export function faultCycle(vgId: number): Fault[] {
  const none: Fault = { name: "none", rules: [] };
  return [
    none,
    { name: "license_servers 500", rules: [{ endpoint: "license_servers", status: 500 }] },
    none,
    { name: "virtual_groups 429 Retry-After 2", rules: [{ endpoint: "virtual_groups", status: 429, retryAfter: "2" }] },
    { name: "leases hang", rules: [{ endpoint: "leases", hang: true }] },
    none,
    { name: "license_pools malformed", rules: [{ endpoint: "license_pools", malformed: true }] },
    { name: "virtual_groups 401", rules: [{ endpoint: "virtual_groups", status: 401 }] },
    none,
    { name: "leases corruptCompressed", rules: [{ endpoint: "leases", corruptCompressed: true }] },
    { name: "license_servers +7 s latency", rules: [{ endpoint: "license_servers", latencyMs: 7000 }] },
    none,
    {
      name: `vg ${vgId} 503`,
      rules: (["license_servers", "license_pools", "leases"] as const).map((endpoint) => ({ endpoint, vgId, status: 503 })),
    },
    { name: "virtual_groups 502", rules: [{ endpoint: "virtual_groups", status: 502 }] },
  ];
}

/** Sets the next fault of the cycle every `everyS` seconds until the end of the run. */
export async function faultLoop(tl: Timeline, cycle: Fault[], everyS: number, setFaults: (rules: FaultRuleInput[]) => Promise<unknown>) {
  for (let k = 0; ; k++) {
    const at = tl.t0 + k * everyS * 1000;
    if (at >= tl.endAt) return;
    await sleepUntil(at);
    if (tl.stopping) return;
    const fault = cycle[k % cycle.length]!;
    await setFaults(fault.rules);
    // Timelines and windows use the scheduled times, so a flip and a sample at the same moment never blur.
    tl.faults.push({ t: (at - tl.t0) / 1000, name: fault.name });
    progress(`${minSec(tl.elapsedS())} fault: ${fault.name}`);
  }
}

/** Takes the collector down after `upS` seconds and brings it back after `downS`, until the end of the run. */
export async function collectorLoop(tl: Timeline, collector: Collector, upS: number, downS: number): Promise<void> {
  let at = tl.t0;
  for (;;) {
    at += (collector.up ? upS : downS) * 1000;
    if (at >= tl.endAt) return;
    await sleepUntil(at);
    if (tl.stopping) return;
    if (collector.up) await collector.stop();
    else await collector.start();
    tl.collector.push({ t: (at - tl.t0) / 1000, up: collector.up });
    progress(`${minSec(tl.elapsedS())} collector ${collector.up ? "up" : "down"}`);
  }
}
