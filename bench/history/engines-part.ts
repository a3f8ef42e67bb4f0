/** The PostgreSQL part of bench/history.ts (--engine postgres|both): the year in PostgreSQL, beside SQLite when both. */

import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { type DbFacts, dbFacts } from "./db-facts.ts";
import { type EngineFigures, measureEngine } from "./engines.ts";
import { reportEngines, reportPgYear } from "./engines-report.ts";
import type { Fleet } from "./fleet.ts";
import type { HistoryOptions } from "./options.ts";
import { reportPgBreakdown } from "./pg-breakdown.ts";
import { pgYear } from "./pg-year.ts";
import { historyCases } from "./query.ts";
import type { SourceGuard } from "./source.ts";
import { openPgStore, openStore, type StoreLog } from "./store.ts";

export interface EnginesContext {
  o: HistoryOptions;
  /** The year file (--db); read only here. */
  db: string;
  /** The benchmark's temporary folder, removed at its end. */
  tmp: string;
  fleet: Fleet;
  firstMs: number;
  facts: DbFacts;
  log: StoreLog;
  source: SourceGuard;
}

/**
 * Both engines hold a copy of the year file taken now (the SQLite store records on that copy, never
 * on --db); the server is stopped at the end, also when a step throws.
 */
export async function enginesPart(x: EnginesContext): Promise<void> {
  const { o, fleet } = x;
  x.source.check("the PostgreSQL measurement");
  const copyPath = join(x.tmp, "history-engines.db");
  copyFileSync(x.db, copyPath);
  // The exporter processes run before may have rolled up on --db since x.facts: compare with what was copied.
  const copied = dbFacts(copyPath);
  const pg = await pgYear(copyPath);
  try {
    reportPgYear(pg, copied, o.days);
    const feature = fleet.busySeries().featureName;
    const run = {
      ...{ cases: historyCases(fleet, x.firstMs, o), feature, observedUntil: copied.observedUntil! },
      ...{ days: o.days, requests: o.requests, seed: o.seed, refreshes: o.refreshes, moreRefreshes: o.moreRefreshes },
    };
    const figures: EngineFigures[] = [];
    if (o.engine === "both") figures.push(await measureEngine("SQLite", (now) => openStore(copyPath, x.log, now), run));
    figures.push(await measureEngine("PostgreSQL", (now) => openPgStore(pg.url, x.log, now), run));
    reportEngines(figures, o.days, o.requests, o.moreRefreshes);
    const nowS = Math.floor(Date.now() / 1000);
    await reportPgBreakdown(
      pg.url,
      [
        { label: "(b)", kind: "active_leases", filter: { feature_name: feature }, from: nowS - 30 * 86_400, to: nowS },
        { label: `/report over ${o.days} days, all rows`, kind: "feature_in_use", filter: {}, from: nowS - o.days * 86_400, to: nowS },
      ],
      Math.min(o.requests, 20),
    );
  } finally {
    pg.server.stop();
  }
}
