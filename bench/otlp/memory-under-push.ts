/** Part 3 of bench/otlp.ts: RSS, CPU and open fds of the idle exporter process while it pushes to a dead collector. */

import { cpuMsOf, fdCountOf, rssOf } from "../lib/proc.ts";
import { progressOf } from "../lib/report.ts";
import {
  type BlackHole,
  type ClsTarget,
  type Counters,
  checkPushed,
  countersAfterAFailure,
  otlpCounters,
  startLoggedExporter,
  VARIANTS,
  type Variant,
  warningsIn,
} from "./dead-collector.ts";

const progress = progressOf("otlp");

export interface MemoryRun {
  rss: number[];
  /** Open file descriptors of the exporter at the first and the last sample. */
  fds: [number, number];
  counters: Counters;
  /** TCP connections the black hole accepted during the run, and how many were open at its end. */
  hole: { opened: number; open: number };
  /** CPU time (user + system) the exporter used per second of wall time, between the first and the last sample. */
  cpuMsPerS: number;
  warnings: string[];
}

/** RSS every 5 s while the exporter idles (nothing scrapes it) and, in the pushing variants, pushes every second. */
async function run(env: Record<string, string>, variant: Variant, cls: ClsTarget, hole: BlackHole, memoryMs: number): Promise<MemoryRun> {
  const opened0 = hole.conns.opened;
  const e = await startLoggedExporter(cls.url, cls.orgName, env);
  const before = await otlpCounters(e.url);
  const rss: number[] = [];
  const fds: number[] = [];
  const cpu: Array<[number, number]> = [];
  for (let t = 5_000; t <= memoryMs; t += 5_000) {
    await Bun.sleep(5_000);
    rss.push(await rssOf(e.pid));
    fds.push(fdCountOf(e.pid));
    cpu.push([performance.now(), cpuMsOf(e.pid)]);
  }
  const cpuMsPerS = ((cpu.at(-1)![1] - cpu[0]![1]) / (cpu.at(-1)![0] - cpu[0]![0])) * 1000;
  const counters = await countersAfterAFailure(e.url, variant, before);
  const holeAtEnd = { opened: hole.conns.opened - opened0, open: hole.conns.open };
  await e.stop();
  checkPushed(variant, before, counters);
  return { rss, fds: [fds[0]!, fds.at(-1)!], counters, hole: holeAtEnd, cpuMsPerS, warnings: warningsIn(e.log) };
}

/** The three variants one after the other, `memoryMs` each. */
export async function memoryUnderPush(
  envs: Record<Variant, Record<string, string>>,
  cls: ClsTarget,
  hole: BlackHole,
  memoryMs: number,
): Promise<Record<Variant, MemoryRun>> {
  const mem = {} as Record<Variant, MemoryRun>;
  for (const v of VARIANTS) {
    progress(`memory, ${v}: ${memoryMs / 1000} s`);
    mem[v] = await run(envs[v], v, cls, hole, memoryMs);
  }
  return mem;
}
