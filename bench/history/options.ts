/** The options of bench/history.ts, and the production settings the history store runs with. */

import { parseArgs } from "node:util";
import { SETTINGS } from "../../src/config/index.ts";
import { parseDuration } from "../../src/duration.ts";
import { maxGapSeconds } from "../../src/store/index.ts";

export interface HistoryOptions {
  days: number;
  seed: number;
  /** Sequential GET /history per query, after 10 warm-up requests. */
  requests: number;
  restarts: number;
  /** Days of the worst case; 0 leaves it out. */
  worstDays: number;
  /** Measure the existing --db instead of writing one. */
  reuse: boolean;
  /** Leave what the benchmark created on disk. */
  keep: boolean;
  db: string | undefined;
  /** 60 s refreshes over `days`. */
  refreshes: number;
  /** sqlite: the store as today; postgres: the year migrated into PostgreSQL and measured there; both: the two side by side. */
  engine: Engine;
  /** Refreshes recorded on top of the year by each engine's write measurement. */
  moreRefreshes: number;
}

export const ENGINES = ["sqlite", "postgres", "both"] as const;
export type Engine = (typeof ENGINES)[number];

export const ORG = "bench-history-org";
export const INTERVAL_MS = 60_000;
export const TARGETS = { sizeBytes: 100e6, historyMs: 50, recordMs: 5, restartMs: 300, reportMs: 200 };

/** The defaults of src/config/index.ts: the store is measured as production configures it. */
export const DEFAULTS: Record<string, string> = Object.fromEntries(
  SETTINGS.filter((s) => "default" in s).map((s) => [s.env, (s as { default: string }).default]),
);
const durationS = (name: string) => parseDuration(DEFAULTS[name]!)! / 1000;
export const MAX_GAP_S = maxGapSeconds(durationS("CACHE_TTL") * 1000, durationS("SCRAPE_TIMEOUT") * 1000);
export const RAW_RETENTION_S = durationS("HISTORY_RAW_RETENTION");
export const RETENTION_S = durationS("HISTORY_RETENTION");

function fail(message: string): never {
  console.error(`history: ${message}`);
  process.exit(2);
}

export function historyOptions(argv: string[]): HistoryOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      days: { type: "string", default: "365" },
      seed: { type: "string", default: "1" },
      db: { type: "string" },
      keep: { type: "boolean", default: false },
      reuse: { type: "boolean", default: false },
      requests: { type: "string", default: "100" },
      restarts: { type: "string", default: "7" },
      "worst-days": { type: "string", default: "2" },
      engine: { type: "string", default: "sqlite" },
      "more-refreshes": { type: "string", default: "1440" },
    },
  });
  const o = {
    days: Number(values.days),
    seed: Number(values.seed),
    requests: Number(values.requests),
    restarts: Number(values.restarts),
    worstDays: Number(values["worst-days"]),
    reuse: values.reuse === true,
    keep: values.keep === true,
    db: values.db,
    refreshes: Number(values.days) * 1_440,
    engine: values.engine as Engine,
    moreRefreshes: Number(values["more-refreshes"]),
  };
  const worstOk = o.worstDays === 0 || (o.worstDays >= 2 && o.worstDays <= 30);
  if (!(o.days >= 1 && o.days <= 800) || !(o.requests >= 1) || !(o.restarts >= 1) || !worstOk || !Number.isFinite(o.seed))
    fail("--days 1..800, --requests ≥ 1, --restarts ≥ 1, --worst-days 0 (skip) or 2..30, --seed a number");
  if (!ENGINES.includes(o.engine) || !(Number.isInteger(o.moreRefreshes) && o.moreRefreshes >= 10))
    fail(`--engine ${ENGINES.join("|")}, --more-refreshes an integer ≥ 10`);
  if (o.reuse && !o.db) fail("--reuse needs --db PATH of a database written by this benchmark");
  return o;
}
