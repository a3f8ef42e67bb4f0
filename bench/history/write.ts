/**
 * The year-simulation writer of bench/history.ts: the fleet's snapshots fed through a real
 * HistoryStore on a real file with an injected clock, one record() per simulated 60 s refresh, and
 * maintain() on production's schedule (first after 1 s, then every 5 minutes, steps back to back
 * while one returns true). Each call is timed.
 */

import { Database } from "bun:sqlite";
import { readFileSync } from "node:fs";
import { demandOf } from "../../src/snapshot/demand.ts";
import type { Snapshot } from "../../src/snapshot/types.ts";
import { encodeSnapshot } from "../../src/store/codec.ts";
import { observe } from "../../src/store/observe.ts";
import type { HistoryStore } from "../../src/store/store.ts";
import { fixed, mb, minSec } from "../lib/format.ts";
import { progressOf } from "../lib/report.ts";
import { quantile, sortedCopy } from "../lib/statistics.ts";
import { sizeOf } from "./db-facts.ts";
import type { Fleet, FleetCounts } from "./fleet.ts";
import { INTERVAL_MS, ORG } from "./options.ts";
import { openStore, type StoreLog } from "./store.ts";

const progress = progressOf("history");
/** Production: upkeep every 5 minutes, steps back to back while one returns true (src/store/store.ts). */
const MAINTENANCE_EVERY_MS = 5 * 60_000;
/** Bounds one back-to-back run of maintenance steps (production has no bound; a runaway here is a bug). */
const MAX_STEPS_PER_RUN = 100_000;

export interface WriteRun {
  recordMs: Float64Array;
  changes: Uint16Array;
  stepMs: number[];
  /** Steps taken before the raw retention (+ 1 day) had passed: nothing could be rolled up yet. */
  earlySteps: number;
  /** Sum of the steps of each 5-minute maintenance run. */
  runMs: number[];
  maxStepsInRun: number;
  wallMs: number;
  fleetMs: number;
  wchar: number;
  /** Database bytes (page_count × page_size) at the end of each simulated day, and the WAL's size then. */
  dailyBytes: number[];
  maxWal: number;
  /** Sampled: encodeSnapshot(s), observe(s) + the label JSON the writer builds per observation. */
  encodeMs: number[];
  observeMs: number[];
  snapshotBytes: number;
  writeErrors: number;
  counts: FleetCounts;
  /** Bytes of the samples table at refresh index → (for the worst case). */
  probes: { i: number; samplesBytes: number; rows: number; firstHourMs: number }[];
}

export interface WriteOptions {
  path: string;
  fleet: Fleet;
  firstMs: number;
  refreshes: number;
  rawRetentionS: number;
  label: string;
  log: StoreLog;
  /** Also record the last `copyLast` refreshes into this second store (not timed). */
  copy?: { path: string; last: number };
  /** Read the samples table's size at these refresh indexes (after the refresh). */
  probeAt?: number[];
}

function newRun(refreshes: number): WriteRun {
  return {
    recordMs: new Float64Array(refreshes),
    changes: new Uint16Array(refreshes),
    stepMs: [],
    earlySteps: 0,
    runMs: [],
    maxStepsInRun: 0,
    wallMs: 0,
    fleetMs: 0,
    wchar: 0,
    dailyBytes: [],
    maxWal: 0,
    encodeMs: [],
    observeMs: [],
    snapshotBytes: 0,
    writeErrors: 0,
    counts: undefined as unknown as FleetCounts,
    probes: [],
  };
}

/** Bytes this process handed to write() so far (/proc/self/io); NaN where that is not readable. */
function wcharNow(): number {
  try {
    return Number(/^wchar:\s+(\d+)/m.exec(readFileSync("/proc/self/io", "utf8"))?.[1] ?? Number.NaN);
  } catch {
    return Number.NaN;
  }
}

/** One back-to-back run of maintenance steps, each step timed. */
function maintenanceRun(store: HistoryStore, run: WriteRun): void {
  let total = 0;
  let steps = 0;
  for (let more = true; more && steps < MAX_STEPS_PER_RUN; steps++) {
    const t0 = performance.now();
    more = store.maintain();
    const dt = performance.now() - t0;
    run.stepMs.push(dt);
    total += dt;
  }
  if (steps >= MAX_STEPS_PER_RUN) throw new Error(`maintain() still had work after ${MAX_STEPS_PER_RUN} steps`);
  run.runMs.push(total);
  run.maxStepsInRun = Math.max(run.maxStepsInRun, steps);
}

/** Inside record(), measured apart: encoding the snapshot row, and the observations with their label JSON. */
function sampleEncoding(snapshot: Snapshot, run: WriteRun): void {
  const e0 = performance.now();
  const body = encodeSnapshot(snapshot);
  const e1 = performance.now();
  for (const ob of observe(snapshot)) JSON.stringify(ob.labels);
  const e2 = performance.now();
  run.encodeMs.push(e1 - e0);
  run.observeMs.push(e2 - e1);
  run.snapshotBytes = body.length;
}

/** The samples table's size and rows after refresh `i`, and what Retention.firstHour() costs then. */
function probeSamples(path: string, i: number): WriteRun["probes"][number] {
  const db = new Database(path, { readonly: true });
  const row = db
    .query("SELECT (SELECT sum(pgsize) FROM dbstat WHERE name = 'samples') AS bytes, (SELECT count(*) FROM samples) AS rows")
    .get() as { bytes: number; rows: number };
  // What Retention.firstHour() runs once, when roll-up first starts (src/store/rollup.ts).
  const f0 = performance.now();
  db.query("SELECT min(samples.start) AS m FROM samples INNER JOIN series ON series.id = samples.series_id WHERE series.org_name = ?").get(
    ORG,
  );
  const firstHourMs = performance.now() - f0;
  db.close();
  return { i, samplesBytes: row.bytes, rows: row.rows, firstHourMs };
}

/** Feeds `refreshes` snapshots through a real HistoryStore with maintenance on the production schedule. */
export function writeHistory(o: WriteOptions): WriteRun {
  let now = o.firstMs;
  const store = openStore(o.path, o.log, () => now, o.rawRetentionS);
  const copy = o.copy && openStore(o.copy.path, o.log, () => now, o.rawRetentionS);
  const run = newRun(o.refreshes);
  const probes = new Set(o.probeAt ?? []);
  // Production's first upkeep runs 1 s after start, then every 5 minutes.
  let nextMaintenance = o.firstMs + 1_000;
  const wchar0 = wcharNow();
  const days = dayReporter(o, store, run);
  let demandAtEnd = 0;
  for (let i = 0; i < o.refreshes; i++) {
    const t = o.firstMs + i * INTERVAL_MS;
    for (; nextMaintenance <= t; nextMaintenance += MAINTENANCE_EVERY_MS) {
      now = nextMaintenance;
      maintenanceRun(store, run);
      if (t - o.firstMs < (o.rawRetentionS + 86_400) * 1000) run.earlySteps = run.stepMs.length;
    }
    const f0 = performance.now();
    const snapshot = o.fleet.snapshot(i);
    run.fleetMs += performance.now() - f0;
    run.changes[i] = Math.min(65_535, o.fleet.changes);
    now = t;
    const t0 = performance.now();
    store.record(snapshot);
    run.recordMs[i] = performance.now() - t0;
    if (copy && i >= o.refreshes - o.copy!.last) copy.record(snapshot);
    if (i % 97 === 0) sampleEncoding(snapshot, run);
    if (i === o.refreshes - 1) demandAtEnd = demandOf(snapshot).length;
    if (probes.has(i)) run.probes.push(probeSamples(o.path, i));
    if ((i + 1) % 1_440 === 0) days.atDayEnd(i);
  }
  run.wallMs = days.elapsed();
  run.wchar = wcharNow() - wchar0;
  run.writeErrors = [...store.stats.writeErrors.values()].reduce((a, b) => a + b, 0);
  run.counts = o.fleet.counts();
  store.close();
  copy?.close();
  countDemand(run.counts, o.path, demandAtEnd);
  return run;
}

/** The fleet model tracks lease sources only; feature_in_use is derived by the store: present from the last snapshot, distinct from the file. */
function countDemand(c: FleetCounts, path: string, atEnd: number): void {
  const db = new Database(path, { readonly: true });
  const distinct = db.query("SELECT count(*) AS n FROM series WHERE org_name = ? AND kind = 'feature_in_use'").get(ORG) as { n: number };
  db.close();
  c.present.feature_in_use = atEnd;
  c.distinct.feature_in_use = distinct.n;
}

/** At the end of each simulated day: the database and WAL sizes, and a progress line every 20 s of wall time. */
function dayReporter(o: WriteOptions, store: HistoryStore, run: WriteRun) {
  const started = performance.now();
  let lastReport = started;
  const atDayEnd = (i: number) => {
    run.dailyBytes.push(store.stats.databaseBytes ?? 0);
    run.maxWal = Math.max(run.maxWal, sizeOf(`${o.path}-wal`));
    const wall = performance.now();
    if (wall - lastReport <= 20_000 && i + 1 !== o.refreshes) return;
    lastReport = wall;
    const done = (i + 1) / o.refreshes;
    const lastDay = sortedCopy(run.recordMs.subarray(i + 1 - 1_440, i + 1));
    const elapsedS = (wall - started) / 1000;
    progress(
      `${o.label}: day ${(i + 1) / 1_440}/${o.refreshes / 1_440} (${(done * 100).toFixed(0)}%), ${minSec(elapsedS)} elapsed, ~${minSec((elapsedS / done) * (1 - done))} to go; ` +
        `record() p50 ${fixed(quantile(lastDay, 0.5), 3)} ms that day; database ${mb(store.stats.databaseBytes ?? 0)}, WAL ${mb(sizeOf(`${o.path}-wal`))}`,
    );
  };
  return { atDayEnd, elapsed: () => performance.now() - started };
}
