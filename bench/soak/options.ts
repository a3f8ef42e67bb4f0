/** The options of bench/soak.ts and the fixed settings of the soak. */

import { parseArgs } from "node:util";

export interface SoakOptions {
  minutes: number;
  /** Scrapes per second. */
  rate: number;
  faultEveryS: number;
  sampleEveryS: number;
  collectorUpS: number;
  collectorDownS: number;
  out: string | undefined;
  totalMs: number;
  samples: number;
  /** Warm-up, the reference window after it and the final window: 5 minutes each, or a sixth of a shorter run. */
  windowMs: number;
}

export const SCRAPE_TIMEOUT_MS = 10_000;
export const MAX_IN_FLIGHT = 200;
export const CHURN = "5s";
// LOG_LEVEL debug: the repeats of a failure (written at debug) are refreshes too, for the tally.
export const EXPORTER_ENV = { CACHE_TTL: "10s", SCRAPE_TIMEOUT: "5s", OTEL_ENABLED: "true", OTEL_PUSH_INTERVAL: "5s", LOG_LEVEL: "debug" };
/** Prometheus 2.x's scrape Accept header (it asks for OpenMetrics first), and gzip as it always sends. */
export const SCRAPE_HEADERS = {
  accept:
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
  "accept-encoding": "gzip",
};
export const GROWTH_TARGET = 0.05;

function positive(name: string, raw: string): number {
  const x = Number(raw);
  if (!Number.isFinite(x) || x <= 0) {
    console.error(`soak: --${name} must be a positive number, got "${raw}"`);
    process.exit(2);
  }
  return x;
}

export function soakOptions(argv: string[]): SoakOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      minutes: { type: "string", default: "30" },
      rate: { type: "string", default: "50" },
      "fault-every": { type: "string", default: "60" },
      "sample-every": { type: "string", default: "30" },
      "collector-up": { type: "string", default: "120" },
      "collector-down": { type: "string", default: "60" },
      out: { type: "string" },
    },
  });
  const minutes = positive("minutes", values.minutes);
  const sampleEveryS = positive("sample-every", values["sample-every"]);
  const totalMs = minutes * 60_000;
  const samples = Math.floor(totalMs / (sampleEveryS * 1000));
  if (samples < 6) {
    console.error(`soak: ${minutes} min sampled every ${sampleEveryS} s gives ${samples} samples; at least 6 are needed`);
    process.exit(2);
  }
  return {
    minutes,
    rate: positive("rate", values.rate),
    faultEveryS: positive("fault-every", values["fault-every"]),
    sampleEveryS,
    collectorUpS: positive("collector-up", values["collector-up"]),
    collectorDownS: positive("collector-down", values["collector-down"]),
    out: values.out,
    totalMs,
    samples,
    windowMs: Math.min(5 * 60_000, totalMs / 6),
  };
}
