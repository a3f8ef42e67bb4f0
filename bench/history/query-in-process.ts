/** In the benchmark's process, on the same file: where the time of the open, the restore and a /history query goes. */

import { Database } from "bun:sqlite";
import type { HistoryStore } from "../../src/store/store.ts";
import { int, ms } from "../lib/format.ts";
import { median } from "../lib/statistics.ts";
import { ORG } from "./options.ts";
import type { HistoryResult } from "./query.ts";
import { type EngineStore, openStore, type StoreLog } from "./store.ts";

/** The statement HistoryWriter.load() runs to find the open rows (src/store/writer.ts): each series' newest row. */
const OPEN_ROWS =
  'SELECT samples.series_id, samples.start FROM series INNER JOIN samples ON samples.series_id = series.id AND samples.start = (SELECT max(s2.start) FROM samples s2 WHERE s2.series_id = series.id) WHERE series.org_name = ? AND samples."end" IS NULL';
/** The reader's statement (src/store/reader.ts) through bun:sqlite alone, without drizzle or bucketing. */
const ROWS_OF_SERIES =
  'SELECT start, "end", last, capacity, min, max, area, covered FROM samples WHERE series_id = ?1 AND start >= coalesce((SELECT max(s2.start) FROM samples s2 WHERE s2.series_id = ?1 AND s2.start <= ?2), ?2) AND start <= ?3 ORDER BY start';

/** Medians of 5 opens and restores, and of the open-rows statement alone, with its plan. */
function openAndRestore(dbPath: string, log: StoreLog) {
  const open: number[] = [];
  const restore: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    const store = openStore(dbPath, log, Date.now);
    const t1 = performance.now();
    store.restore();
    const t2 = performance.now();
    store.close();
    open.push(t1 - t0);
    restore.push(t2 - t1);
  }
  const db = new Database(dbPath, { readonly: true });
  const openRows = db.query(OPEN_ROWS);
  const loadSql: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    openRows.all(ORG);
    loadSql.push(performance.now() - t0);
  }
  const plan = (db.query(`EXPLAIN QUERY PLAN ${OPEN_ROWS}`).all(ORG) as { detail: string }[]).map((p) => p.detail).join("; ");
  db.close();
  return { open: median(open), restore: median(restore), loadSql: median(loadSql), plan };
}

/** Times the synchronous `fn` 10 + `requests` times, keeping the last `requests`. */
function timed(requests: number, fn: () => void): number[] {
  const times: number[] = [];
  for (let k = 0; k < 10 + requests; k++) {
    const t0 = performance.now();
    fn();
    if (k >= 10) times.push(performance.now() - t0);
  }
  return times;
}

/** store.query() (either engine) and JSON.stringify of its result, timed apart, 10 + `requests` times. */
export async function timedQuery(store: EngineStore, q: Parameters<HistoryStore["query"]>[0], requests: number) {
  const times: number[] = [];
  const json: number[] = [];
  for (let k = 0; k < 10 + requests; k++) {
    const t0 = performance.now();
    const result = await store.query(q);
    const t1 = performance.now();
    JSON.stringify(result);
    const t2 = performance.now();
    if (k >= 10) {
      times.push(t1 - t0);
      json.push(t2 - t1);
    }
  }
  return { times, json };
}

/** store.query() and JSON.stringify of one /history case, then its row statement alone over the same series. */
async function queryBreakdown(store: HistoryStore, raw: Database, r: HistoryResult, nowS: number, requests: number): Promise<void> {
  const filter = Object.fromEntries([...new URLSearchParams(r.c.query)].filter(([k]) => k !== "from" && k !== "kind"));
  const q = { kind: "active_leases" as const, filter, from: nowS - 30 * 86_400, to: nowS, step: r.step };
  const { times, json } = await timedQuery(store, q, requests);
  const allSeries = raw.query("SELECT id, labels FROM series WHERE org_name = ? AND kind = 'active_leases'").all(ORG) as {
    id: number;
    labels: string;
  }[];
  const ids = allSeries
    .filter((x) => Object.entries(filter).every(([k, v]) => (JSON.parse(x.labels) as Record<string, string>)[k] === v))
    .map((x) => x.id);
  const rowsOf = raw.query(ROWS_OF_SERIES);
  let rows = 0;
  const sqlTimes = timed(requests, () => {
    rows = 0;
    for (const id of ids) rows += rowsOf.all(id, q.from, q.to).length;
  });
  const name = r.c.name.slice(0, 3);
  console.log(
    `| ${name}: \`await store.query()\` (series lookup, SQL through drizzle, bucketing, a yield every 10 ms), then JSON.stringify of its result | ${ms(median(times))} + ${ms(median(json))} |`,
  );
  console.log(
    `| ${name}: of which the row statement alone through bun:sqlite (${ids.length} series, ${int(rows)} rows) | ${ms(median(sqlTimes))} |`,
  );
}

/** The table for the first two /history cases (the judged ones). */
export async function reportInProcess(dbPath: string, log: StoreLog, http: HistoryResult[], requests: number): Promise<void> {
  const o = openAndRestore(dbPath, log);
  console.log("In-process, the same file (median of repetitions):\n");
  console.log("| step | median |");
  console.log("|---|---|");
  console.log(`| \`new HistoryStore()\`: open, migrations check, HistoryWriter.load() | ${ms(o.open, 1)} |`);
  console.log(`| of which the open-rows statement of load() alone (plan: ${o.plan}) | ${ms(o.loadSql, 1)} |`);
  console.log(`| \`restore()\`: read and validate the last snapshot | ${ms(o.restore, 1)} |`);
  const store = openStore(dbPath, log, Date.now);
  const nowS = Math.floor(Date.now() / 1000);
  const raw = new Database(dbPath, { readonly: true });
  for (const r of http.slice(0, 2)) await queryBreakdown(store, raw, r, nowS, requests);
  raw.close();
  store.close();
  console.log();
}
