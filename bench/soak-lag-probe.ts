/**
 * Event-loop lag probe for bench/soak.ts, loaded into the exporter process with Bun's preload
 * (`bun run --preload <abs>/bench/soak-lag-probe.ts src/index.ts`), so src/ stays untouched.
 *
 * A 50 ms interval notes how late each tick fires (performance.now() between ticks minus the
 * period, never below 0): synchronous work on the exporter's thread (render, refresh, push, GC)
 * shows as one late tick. Every SOAK_LAG_PERIOD_MS (default 1000) one JSON line is appended to
 * SOAK_LAG_FILE: {t (epoch ms), samples, maxMs, p99Ms, meanMs, lateMs (every tick of the period,
 * 0.1 ms)}; the raw values let the benchmark compute exact percentiles over its own windows.
 * Writes nothing to stdout or stderr, swallows its own errors, and its timer is unref'd so it never
 * keeps the process alive. Without SOAK_LAG_FILE it does nothing.
 */
import { appendFileSync } from "node:fs";
import { quantile, sortedCopy } from "./lib/statistics.ts";

const file = process.env.SOAK_LAG_FILE;
const INTERVAL_MS = Number(process.env.SOAK_LAG_INTERVAL_MS) || 50;
const PERIOD_MS = Number(process.env.SOAK_LAG_PERIOD_MS) || 1000;

if (file) {
  let late: number[] = [];
  let last = performance.now();
  let periodStart = last;

  const flush = () => {
    if (late.length === 0) return;
    const sorted = sortedCopy(late);
    const sum = late.reduce((a, b) => a + b, 0);
    const round = (x: number) => Math.round(x * 10) / 10;
    const line = {
      t: Date.now(),
      samples: late.length,
      maxMs: round(sorted.at(-1)!),
      p99Ms: round(quantile(sorted, 0.99)),
      meanMs: round(sum / late.length),
      lateMs: late.map(round),
    };
    late = [];
    try {
      appendFileSync(file, `${JSON.stringify(line)}\n`);
    } catch {
      // A probe must never disturb the process it measures.
    }
  };

  const timer = setInterval(() => {
    const now = performance.now();
    late.push(Math.max(0, now - last - INTERVAL_MS));
    last = now;
    if (now - periodStart >= PERIOD_MS) {
      periodStart = now;
      flush();
    }
  }, INTERVAL_MS);
  timer.unref();
  process.on("exit", flush);
}
