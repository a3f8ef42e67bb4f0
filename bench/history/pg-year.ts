/**
 * The year on PostgreSQL, loaded the way a user moves to it: a real server (test/pg/server.ts:
 * initdb in a temporary folder, 127.0.0.1 only), then `bun run src/index.ts --migrate-history URL`
 * as its own process with DB_PATH at the year file, timed from spawn to exit. Then VACUUM ANALYZE
 * (what autovacuum does on its own soon after a bulk load: run now, it does not compete with the
 * measurements that follow) and the sizes PostgreSQL reports.
 */

import postgres from "postgres";
import { type PgServer, pgBin, startPgServer } from "../../test/pg/server.ts";
import { exporterEntry } from "../lib/exporter.ts";
import { eachLine, spawnChild } from "../lib/processes.ts";
import { progressOf } from "../lib/report.ts";
import { API_KEY } from "../lib/simulator.ts";
import { ORG } from "./options.ts";

const progress = progressOf("history");

/** The tables of the history (src/store/pg/schema.ts). */
export const PG_TABLES = ["samples", "series", "snapshots", "store_state"] as const;

export interface PgYear {
  server: PgServer;
  url: string;
  /** e.g. "PostgreSQL 15.x (Debian …)": the server's own version() */
  version: string;
  bin: string;
  migration: { ms: number; rows: number; series: number; summary: string };
  size: PgSize;
}

export interface PgSize {
  database: number;
  /** pg_total_relation_size (heap, indexes, TOAST) of each history table. */
  tables: Record<(typeof PG_TABLES)[number], number>;
  samplesHeap: number;
  samplesIndexes: number;
  samplesRows: number;
}

/** Starts the server, migrates `dbPath` into a new database, measures it; the caller stops `server`. */
export async function pgYear(dbPath: string): Promise<PgYear> {
  const server = startPgServer();
  try {
    const url = await server.createDatabase("bench_history");
    const migration = await migrateAsAUser(dbPath, url);
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      await sql`VACUUM ANALYZE`;
      const [v] = await sql`SELECT version() AS v`;
      return { server, url, version: String(v?.v), bin: pgBin(), migration, size: await pgSize(sql) };
    } finally {
      await sql.end();
    }
  } catch (err) {
    server.stop();
    throw err;
  }
}

/** The --migrate-history command as its own process; its summary line gives the rows copied. */
async function migrateAsAUser(dbPath: string, url: string): Promise<PgYear["migration"]> {
  progress(`--migrate-history of ${dbPath} into ${url}`);
  const env = { DB_PATH: dbPath, NVIDIA_API_KEY: API_KEY, NVIDIA_ORG_NAME: ORG };
  const t0 = performance.now();
  const child = spawnChild([process.execPath, "run", exporterEntry(), "--migrate-history", url], env);
  let summary = "";
  const errLines: string[] = [];
  await Promise.all([
    eachLine(child.stdout, (l) => {
      if (l.trim()) summary = l.trim();
    }),
    eachLine(child.stderr, (l) => {
      errLines.push(l);
      progress(l);
    }),
    child.exited,
  ]);
  const ms = performance.now() - t0;
  if (child.exitCode !== 0) throw new Error(`--migrate-history exited ${child.exitCode}: ${errLines.slice(-5).join(" | ")}`);
  const count = (re: RegExp) => Number((re.exec(summary)?.[1] ?? "NaN").replaceAll(",", ""));
  const rows = count(/([\d,]+) rows? copied/);
  const series = count(/([\d,]+) series/);
  if (!(rows > 0)) throw new Error(`--migrate-history copied no rows: ${summary}`);
  progress(`--migrate-history: ${summary} in ${(ms / 1000).toFixed(1)} s`);
  return { ms, rows, series, summary };
}

async function pgSize(sql: postgres.Sql): Promise<PgSize> {
  const [d] = await sql`SELECT pg_database_size(current_database()) AS db,
    pg_relation_size('samples') AS heap, pg_indexes_size('samples') AS idx, (SELECT count(*) FROM samples) AS n`;
  const tables = {} as PgSize["tables"];
  for (const t of PG_TABLES) {
    const [r] = await sql`SELECT pg_total_relation_size(${t}::regclass) AS b`;
    tables[t] = Number(r?.b);
  }
  return { database: Number(d?.db), tables, samplesHeap: Number(d?.heap), samplesIndexes: Number(d?.idx), samplesRows: Number(d?.n) };
}
