/**
 * (e) The history store over a simulated year: one org of ~500 series (bench/history-fleet.ts)
 * refreshed every 60 s for `--days` days ending now, written through a real HistoryStore on a real
 * file with an injected clock, maintenance run as production runs it (every 5 minutes, steps back
 * to back while one says more is pending). Then, on that file: its size, GET /history of the real
 * exporter process (CLS unreachable) for 30 days of one series and of one feature, the renewal
 * report (store.report(), in-process) over the whole span for all rows and one feature, and the time
 * from spawn to the first stale /metrics of a restart. Last, the worst case (every series changes
 * on every refresh) over a short span, extrapolated.
 *
 * --engine postgres|both adds PostgreSQL: a real server (test/pg/server.ts) loaded with the year by
 * the `--migrate-history` command (timed: rows/s), its size beside the file's, then the same
 * in-process figures of each engine in one table: open, record() of --more-refreshes refreshes on
 * top of the year (p50, p90), store.query() of the /history query set, store.report() over the span.
 * `both` runs everything of `sqlite` (the default, as before) and measures SQLite's column on a copy
 * of the year file; `postgres` measures the year's size and then PostgreSQL alone.
 *
 *   bun run bench/history.ts [--days 365] [--seed 1] [--db PATH] [--keep] [--reuse]
 *                            [--requests 100] [--restarts 7] [--worst-days 2]
 *                            [--engine sqlite|postgres|both] [--more-refreshes 1440]
 *
 * --db writes the database to PATH instead of a temporary folder; what the benchmark creates is
 * removed at the end unless --keep. --reuse skips the write and measures an existing --db (written
 * with the same --days and --seed). Progress goes to stderr, Markdown tables to stdout.
 *
 * The pieces, in bench/history/: fleet.ts (the org and its churn), write.ts (the simulated year),
 * year-report.ts, query.ts and query-in-process.ts (/history), report-in-process.ts (/report),
 * restart.ts, worst.ts; for PostgreSQL engines-part.ts, pg-year.ts (server, migration, size),
 * engines.ts (either engine's figures), engines-report.ts and pg-breakdown.ts.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dbFacts, diskBytes, sizeOf } from "./history/db-facts.ts";
import { enginesPart } from "./history/engines-part.ts";
import { Fleet } from "./history/fleet.ts";
import { type HistoryOptions, historyOptions, INTERVAL_MS, ORG, RAW_RETENTION_S, TARGETS } from "./history/options.ts";
import { historyCases, historyOverHttp } from "./history/query.ts";
import { reportInProcess } from "./history/query-in-process.ts";
import { reportOfYear } from "./history/report-in-process.ts";
import { measureRestarts, reportRestarts } from "./history/restart.ts";
import { SourceGuard } from "./history/source.ts";
import { StoreLog } from "./history/store.ts";
import { worstCase } from "./history/worst.ts";
import { type WriteRun, writeHistory } from "./history/write.ts";
import { reportChurn, reportSize, reportWriteCost } from "./history/year-report.ts";
import { exporterEntry } from "./lib/exporter.ts";
import { mb, ms, verdict } from "./lib/format.ts";
import { deadline, freePort, ROOT } from "./lib/processes.ts";
import { machineNotes, progressOf, revision } from "./lib/report.ts";
import { median, quantile, sortedCopy } from "./lib/statistics.ts";

const o = historyOptions(Bun.argv.slice(2));
// Generous: a year took 22–27 minutes on the reference machine; the deadline kills children and exits.
const pgMs = o.engine === "sqlite" ? 0 : 15 * 60_000 + o.moreRefreshes * 2 * 200 + 12 * o.requests * 2_000;
deadline(20 * 60_000 + o.refreshes * 6 + o.worstDays * 1_440 * 40 + o.restarts * 4 * 20_000 + 12 * o.requests * 2_000 + pgMs);
const progress = progressOf("history");
const storeLog = new StoreLog();
const source = new SourceGuard();
const commit = revision(ROOT, ["src", "migrations"]);

const tmp = mkdtempSync(join(tmpdir(), "bench-history-"));
const DB = o.db ?? join(tmp, "history.db");
const SMALL_DB = join(tmp, "history-1day.db");
const WORST_DB = join(tmp, "history-worst.db");
const created: string[] = [];
if (!o.reuse) {
  if (existsSync(DB)) {
    console.error(`history: ${DB} exists; remove it, or pass --reuse to measure it without writing`);
    process.exit(2);
  }
  created.push(DB);
}
process.on("exit", () => {
  if (o.keep) {
    console.error(`history: kept ${[...created, tmp].join(", ")}`);
    return;
  }
  for (const f of created) for (const suffix of ["", "-wal", "-shm"]) rmSync(f + suffix, { force: true });
  rmSync(tmp, { recursive: true, force: true });
});

/** The span ends now: the last simulated refresh is the moment the benchmark started (or the --reuse file's last one). */
function theYear(opts: HistoryOptions): { fleet: Fleet; firstMs: number; year: WriteRun | undefined } {
  const fleetFrom = (firstMs: number) => new Fleet({ seed: opts.seed, firstMs, refreshes: opts.refreshes });
  if (opts.reuse) {
    const observedUntil = dbFacts(DB).observedUntil;
    if (observedUntil === undefined) throw new Error(`${DB} holds no history of ${ORG}`);
    const firstMs = observedUntil * 1000 - (opts.refreshes - 1) * INTERVAL_MS;
    progress(`reusing ${DB} (history until ${new Date(observedUntil * 1000).toISOString()}); no write phase`);
    return { fleet: fleetFrom(firstMs), firstMs, year: undefined };
  }
  const endMs = Date.now();
  const firstMs = endMs - (opts.refreshes - 1) * INTERVAL_MS;
  const fleet = fleetFrom(firstMs);
  progress(
    `writing ${opts.refreshes.toLocaleString("en-US")} refreshes (${opts.days} days, ${new Date(firstMs).toISOString()} → ${new Date(endMs).toISOString()}) to ${DB}`,
  );
  created.push(SMALL_DB);
  const copy = { path: SMALL_DB, last: Math.min(1_440, opts.refreshes) };
  const year = writeHistory({
    path: DB,
    fleet,
    firstMs,
    refreshes: opts.refreshes,
    rawRetentionS: RAW_RETENTION_S,
    label: "year",
    log: storeLog,
    copy,
  });
  return { fleet, firstMs, year };
}

function enginesContext() {
  return { o, db: DB, tmp, fleet, firstMs, facts, log: storeLog, source };
}

console.log(`## (e) History store over ${o.days} simulated days (${machineNotes()}, commit ${commit})\n`);
if (process.env.BENCH_EXPORTER_DIR) console.log(`Exporter processes run ${exporterEntry()} (BENCH_EXPORTER_DIR).\n`);

// 1–3: write the year; its churn, its cost, the file it left.
const { fleet, firstMs, year } = theYear(o);
const facts = dbFacts(DB);
if (year) {
  reportChurn(year.counts, year, o);
  reportWriteCost(year, o, storeLog.problems);
}
reportSize(facts, year, o);
if (o.engine === "postgres") {
  await enginesPart(enginesContext());
  process.exit(0);
}

// 4: /history over HTTP, and the same queries in-process.
const closedPort = freePort();
source.check("the /history measurement");
const http = await historyOverHttp(historyCases(fleet, firstMs, o), DB, closedPort, o.requests);
await reportInProcess(DB, storeLog, http, o.requests);
const reports = await reportOfYear(DB, storeLog, o.days, fleet.busySeries().featureName, o.requests);

// 5: spawn to the first stale /metrics.
source.check("the restart measurement");
const target = { closedPort, busyServerId: fleet.busySeries().serverId };
const restarts = await measureRestarts(DB, existsSync(SMALL_DB) ? SMALL_DB : undefined, target, o.restarts);
reportRestarts(
  restarts,
  target,
  {
    year: `exporter on the ${o.days}-day database (${mb(facts.fileBytes)})`,
    small: `exporter on a 1-day database (same org, ${mb(sizeOf(SMALL_DB))})`,
  },
  o.restarts,
);

if (o.engine === "both") await enginesPart(enginesContext());

// Context: the worst case.
let worstSummary: string | undefined;
if (o.worstDays > 0) {
  created.push(WORST_DB);
  worstSummary = worstCase(WORST_DB, o.worstDays, o.seed, storeLog);
}

console.log("### Summary\n");
console.log("| | figure | target | verdict |");
console.log("|---|---|---|---|");
console.log(
  `| database size after ${o.days} days (main file + WAL as close() left them; checkpointed main file ${mb(facts.fileBytes)}) | **${mb(diskBytes(facts))}** | < 100 MB | **${verdict(diskBytes(facts) < TARGETS.sizeBytes)}** |`,
);
for (const r of http.filter((h) => h.c.judged))
  console.log(`| /history p50, ${r.c.name} | **${ms(median(r.times))}** | < 50 ms | **${verdict(median(r.times) < TARGETS.historyMs)}** |`);
for (const r of reports)
  console.log(
    `| /report p50 over ${o.days} days, ${r.name} (in-process) | **${ms(median(r.times), 1)}** | < 200 ms | **${verdict(median(r.times) < TARGETS.reportMs)}** |`,
  );
if (year) {
  const p50 = quantile(sortedCopy(year.recordMs), 0.5);
  console.log(`| record() p50 per refresh, whole span | **${ms(p50, 3)}** | < 5 ms | **${verdict(p50 < TARGETS.recordMs)}** |`);
}
const restartMs = median(restarts.year.map((r) => r.totalMs));
console.log(
  `| spawn → first stale /metrics, median | **${ms(restartMs, 0)}** (bare Bun.serve ${ms(median(restarts.serve), 0)}) | < 300 ms | **${verdict(restartMs < TARGETS.restartMs)}** |`,
);
if (worstSummary) console.log(`| worst case (context) | ${worstSummary} | – | – |`);
process.exit(0);
