/** What a history database takes on disk and holds, read from a connection of the benchmark's own. */

import { Database } from "bun:sqlite";
import { existsSync, statSync } from "node:fs";
import { ORG } from "./options.ts";

export const sizeOf = (path: string) => (existsSync(path) ? statSync(path).size : 0);

/** What the file takes on disk: the larger of main + WAL as close() left them and the checkpointed main file. */
export const diskBytes = (f: DbFacts) => Math.max(f.leftMain + f.leftWal, f.fileBytes + f.walBytes);

export interface DbFacts {
  /** As HistoryStore.close() left them. */
  leftMain: number;
  leftWal: number;
  /** After an explicit PRAGMA wal_checkpoint(TRUNCATE) from another connection. */
  fileBytes: number;
  walBytes: number;
  pageSize: number;
  pages: number;
  freePages: number;
  tables: { name: string; bytes: number }[];
  samples: number;
  rawRows: number;
  rolledRows: number;
  openRows: number;
  series: number;
  rolledUntil: number | undefined;
  observedUntil: number | undefined;
  firstStart: number | undefined;
}

/**
 * Facts of a database after HistoryStore.close(): the sizes it left, then the sizes after a
 * checkpoint from a connection of our own (in case close() left a WAL behind).
 */
export function dbFacts(path: string): DbFacts {
  const leftMain = sizeOf(path);
  const leftWal = sizeOf(`${path}-wal`);
  const cp = new Database(path);
  cp.query("PRAGMA wal_checkpoint(TRUNCATE)").get();
  cp.close();
  const db = new Database(path, { readonly: true });
  try {
    return { leftMain, leftWal, fileBytes: sizeOf(path), walBytes: sizeOf(`${path}-wal`), ...contents(db) };
  } finally {
    db.close();
  }
}

/** Pages, tables, rows and the store's state of an open database. */
function contents(db: Database): Omit<DbFacts, "leftMain" | "leftWal" | "fileBytes" | "walBytes"> {
  const one = <T>(sql: string) => db.query(sql).get() as T;
  const { page_size, page_count, freelist_count } = one<{ page_size: number; page_count: number; freelist_count: number }>(
    "SELECT * FROM pragma_page_size, pragma_page_count, pragma_freelist_count",
  );
  const tables = (
    db.query("SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC").all() as { name: string; bytes: number }[]
  ).filter((t) => t.bytes > 0);
  const rows = one<{ total: number; raw: number; rolled: number; open: number; first: number | null }>(
    'SELECT count(*) AS total, sum(min IS NULL) AS raw, sum(min IS NOT NULL) AS rolled, sum("end" IS NULL) AS open, min(start) AS first FROM samples',
  );
  const state = (name: string) =>
    (db.query("SELECT value FROM store_state WHERE org_name = ? AND name = ?").get(ORG, name) as { value: number } | null)?.value;
  return {
    pageSize: page_size,
    pages: page_count,
    freePages: freelist_count,
    tables,
    samples: rows.total,
    rawRows: rows.raw ?? 0,
    rolledRows: rows.rolled ?? 0,
    openRows: rows.open ?? 0,
    series: one<{ n: number }>("SELECT count(*) AS n FROM series").n,
    rolledUntil: state("rolled_until"),
    observedUntil: state("observed_until"),
    firstStart: rows.first ?? undefined,
  };
}
