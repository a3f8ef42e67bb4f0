/** The options of bench/otlp.ts, and the time budget they imply. */

import { parseArgs } from "node:util";

export interface OtlpOptions {
  /** Measured pushes per compression in part 1 (after WARMUP_PUSHES). */
  pushes: number;
  rounds: number;
  /** Seconds of each wrk run in part 2. */
  duration: number;
  connections: number;
  /** Length of each memory run in part 3. */
  memoryMs: number;
  parts: Set<string>;
  /** How long the whole benchmark may take before its deadline stops it. */
  budgetMs: number;
}

export const WARMUP_PUSHES = 3;

export function otlpOptions(argv: string[]): OtlpOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      pushes: { type: "string", default: "30" },
      rounds: { type: "string", default: "5" },
      duration: { type: "string", default: "8" },
      connections: { type: "string", default: "32" },
      "memory-seconds": { type: "string", default: "60" },
      parts: { type: "string", default: "cost,throughput,memory" },
    },
  });
  const pushes = Number(values.pushes);
  const rounds = Number(values.rounds);
  const duration = Number(values.duration);
  const memoryMs = Number(values["memory-seconds"]) * 1000;
  const budgetMs = pushes * 4 * 1000 + rounds * 3 * (2 * duration + 12) * 1000 + 3 * (memoryMs + 15_000) + 180_000;
  return { pushes, rounds, duration, connections: Number(values.connections), memoryMs, parts: new Set(values.parts.split(",")), budgetMs };
}
