/**
 * Where PostgreSQL's time goes in a read: the rows-as-columns statement PgHistoryReader.rowsOf
 * (src/store/pg/reader.ts) ran before it read one JSON text per series, once per series through
 * postgres.js alone (no drizzle, no bucketing): the per-column parsing that change removed,
 * the server's own execution time of the same statements (EXPLAIN ANALYZE), and one round trip.
 */

import postgres from "postgres";
import { z } from "zod";
import type { Labels } from "../../src/snapshot/types.ts";
import type { HistoryFilter } from "../../src/store/query.ts";
import { matches } from "../../src/store/reader.ts";
import { int, ms } from "../lib/format.ts";
import { median } from "../lib/statistics.ts";
import { ORG } from "./options.ts";

const ROWS =
  'SELECT start, "end", last, capacity, min, max, area, covered, at_capacity FROM samples WHERE series_id = $1 AND start >= coalesce((SELECT max(s2.start) FROM samples s2 WHERE s2.series_id = $1 AND s2.start <= $2), $2) AND start <= $3 ORDER BY start';

/** What EXPLAIN (ANALYZE, FORMAT JSON) answers, as far as it is read here (milliseconds). */
const PLAN = z.array(z.object({ "Execution Time": z.number() })).min(1);

export interface ReadCase {
  label: string;
  kind: string;
  filter: HistoryFilter;
  from: number;
  to: number;
}

interface Parts {
  c: ReadCase;
  series: number;
  rows: number;
  /** Median ms of all the case's row statements through postgres.js. */
  client: number;
  /** Median ms of the server's summed "Execution Time" of them. */
  server: number;
}

async function timed(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let k = 0; k < 3 + n; k++) {
    const t0 = performance.now();
    await fn();
    if (k >= 3) times.push(performance.now() - t0);
  }
  return times;
}

async function caseParts(sql: postgres.Sql, c: ReadCase, n: number): Promise<Parts> {
  const all = await sql.unsafe("SELECT id, labels FROM series WHERE org_name = $1 AND kind = $2", [ORG, c.kind]);
  const ids = all.filter((s) => matches(JSON.parse(s.labels) as Labels, c.filter)).map((s) => Number(s.id));
  let rows = 0;
  const client = await timed(n, async () => {
    rows = 0;
    for (const id of ids) rows += (await sql.unsafe(ROWS, [id, c.from, c.to], { prepare: true })).length;
  });
  const server = await serverTimes(sql, ids, c);
  return { c, series: ids.length, rows, client: median(client), server };
}

/** The median over 5 repetitions of the server's summed execution time. */
async function serverTimes(sql: postgres.Sql, ids: number[], c: ReadCase): Promise<number> {
  const sums: number[] = [];
  for (let k = 0; k < 5; k++) {
    let sum = 0;
    for (const id of ids) {
      const [plan] = await sql.unsafe(`EXPLAIN (ANALYZE, FORMAT JSON) ${ROWS}`, [id, c.from, c.to]);
      sum += PLAN.parse(plan?.["QUERY PLAN"])[0]!["Execution Time"];
    }
    sums.push(sum);
  }
  return median(sums);
}

/** Measures and prints the table; `n` repetitions of the client-side statements. */
export async function reportPgBreakdown(url: string, cases: ReadCase[], n: number): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const roundTrip = median(await timed(n, () => sql.unsafe("SELECT 1", [], { prepare: true })));
    const parts: Parts[] = [];
    for (const c of cases) parts.push(await caseParts(sql, c, n));
    console.log("Where PostgreSQL's time goes (medians; one connection of postgres.js, the rows-as-columns statement once per series):\n");
    console.log("| step | median |");
    console.log("|---|---|");
    console.log(`| one round trip (\`SELECT 1\`, prepared) | ${ms(roundTrip, 3)} |`);
    for (const p of parts) {
      console.log(
        `| ${p.c.label}: the row statements alone through postgres.js (${p.series} series, ${int(p.rows)} rows) | ${ms(p.client)} |`,
      );
      console.log(`| ${p.c.label}: of which the server executing them (EXPLAIN ANALYZE, summed) | ${ms(p.server)} |`);
    }
    console.log();
  } finally {
    await sql.end();
  }
}
