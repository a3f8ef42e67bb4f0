/**
 * The demo's simulated past: on a first start (no history of the demo org in the store yet), weeks
 * of snapshots as the exporter would have recorded them, so the status page's charts and /report
 * are not empty. Each step evaluates the simulator's model at a past time (churn plus the daily
 * curve at that hour), asks the simulator's own CLS handler in process (no socket), builds the
 * snapshot with the exporter's own client, refresher and builder, and records it through the one
 * store writer (HistoryStore.record): every series a live refresh records is back-filled alike.
 */
import type { Config } from "./config/index.ts";
import { createExporter } from "./context.ts";
import { type Logger, silentLogger } from "./log.ts";
import type { BuildInfo } from "./render/catalog.ts";
import { tick } from "./sim/churn.ts";
import { followCurves } from "./sim/daily-curve.ts";
import { recompute } from "./sim/derive.ts";
import type { SimModel } from "./sim/model.ts";
import type { Rng } from "./sim/random.ts";
import { inProcessCls } from "./sim/server.ts";
import type { Snapshot } from "./snapshot/types.ts";
import { type HistoryStore, maxGapSeconds } from "./store/index.ts";

export interface BackfillOptions {
  store: HistoryStore;
  config: Config;
  log: Logger;
  build: BuildInfo;
  /** The demo org as it was `spanMs` before `untilMs`; the back-fill moves it forward in time. */
  model: SimModel;
  apiKey: string;
  rng: Rng;
  untilMs: number;
  spanMs: number;
  /** One real refresh per step; in between, the step's snapshot is re-recorded as a refresh that saw no change would be. */
  stepMs: number;
}

export interface BackfillResult {
  snapshots: number;
  records: number;
  failed: number;
  tookMs: number;
}

/** Churn steps the model takes between two back-filled refreshes (the live demo takes one every 3 s). */
const CHURN_PER_STEP = 2;

/** Back-fills unless the store already holds this org's history or cannot be written; logs one line either way. */
export async function backfillDemo(o: BackfillOptions): Promise<BackfillResult | undefined> {
  if (o.store.unavailable()) {
    o.log.warn("demo history not back-filled: the history database is unavailable");
    return undefined;
  }
  if (o.store.restore() !== undefined) {
    o.log.info("demo history not back-filled: the database already holds this org's history");
    return undefined;
  }
  const result = await backfill(o);
  o.log.info("demo history back-filled (simulated)", {
    from: new Date(o.untilMs - o.spanMs).toISOString(),
    to: new Date(o.untilMs).toISOString(),
    step_s: o.stepMs / 1000,
    snapshots: result.snapshots,
    records: result.records,
    failed_refreshes: result.failed,
    took_ms: result.tookMs,
    db_path: o.config.dbPath,
  });
  return result;
}

async function backfill(o: BackfillOptions): Promise<BackfillResult> {
  const started = performance.now();
  let clock = 0;
  const exporter = createExporter(o.config, {
    fetch: inProcessCls(o.model, o.apiKey),
    now: () => clock,
    log: silentLogger,
    build: o.build,
  });
  // Rows of refreshes at most maxGap apart join; the re-records keep the back-filled history continuous.
  const keepMs = (maxGapSeconds(o.config.cacheTtlMs, o.config.scrapeTimeoutMs) - 1) * 1000;
  const first = Math.ceil((o.untilMs - o.spanMs) / 60_000) * 60_000;
  const result: BackfillResult = { snapshots: 0, records: 0, failed: 0, tookMs: 0 };
  try {
    for (let t = first; t <= o.untilMs; t += o.stepMs) {
      advance(o, t);
      clock = t;
      const s = await exporter.cache.refresh();
      if (!s?.up) {
        result.failed++;
        continue;
      }
      result.snapshots++;
      result.records += recordStep(o.store, s, Math.min(t + o.stepMs, o.untilMs + 1), keepMs);
    }
  } finally {
    await exporter.stop();
  }
  result.tookMs = Math.round(performance.now() - started);
  return result;
}

/** The model at time t: a little churn, then the daily curves at that hour. */
function advance(o: BackfillOptions, t: number): void {
  for (let i = 0; i < CHURN_PER_STEP; i++) tick(o.model, o.rng);
  followCurves(o.model, t, o.rng);
  recompute(o.model);
}

/** Records the step's snapshot, then the same data every keepMs until `endMs` (exclusive). */
function recordStep(store: HistoryStore, s: Snapshot, endMs: number, keepMs: number): number {
  let n = 0;
  for (let at = s.collectedAt; at < endMs; at += keepMs) {
    store.record(at === s.collectedAt ? s : { ...s, collectedAt: at });
    n++;
  }
  return n;
}
