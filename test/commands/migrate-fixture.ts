import { Database } from "bun:sqlite";
import postgres from "postgres";
import { createLogger } from "../../src/log.ts";
import type { Snapshot } from "../../src/snapshot/types.ts";
import { PgHistoryStore } from "../../src/store/pg/store.ts";
import { HistoryStore } from "../../src/store/store.ts";
import { eventfulHistory } from "../pg/parity.ts";
import { DAY, T0, tenDays } from "../store/helpers.ts";
import { BACKUP_T0, busyRefresh } from "./backup-fixture.ts";

/** What both engines are opened with for the same org. */
export const storeOptions = (orgName: string, nowS: number) => ({
  orgName,
  maxGapS: 700,
  rawRetentionS: 2 * DAY,
  retentionS: 400 * DAY,
  now: () => nowS * 1000,
  log: createLogger({ write: () => {} }),
});

/** When the two-org history ends: the clock both engines are read with. */
export const NOW_S = T0 + 10 * DAY;

/**
 * Two orgs in one SQLite file, both with rolled-up and raw rows: org-r the report fixture's ten
 * days (rolled up after two), org-e an eventful three hours (a gap, a rename, a series that
 * comes back) kept raw. Returns org-r's last snapshot (the report's "current").
 */
export function twoOrgHistory(path: string): Snapshot {
  const r = new HistoryStore({ ...storeOptions("org-r", NOW_S), path });
  const current = tenDays(r, 300);
  while (r.maintain()) {}
  r.close();
  const e = new HistoryStore({ ...storeOptions("org-e", NOW_S), path });
  for (const s of eventfulHistory(NOW_S - 4 * 3_600)) e.record(s);
  e.close();
  return current;
}

/** One org of `refreshes` busy refreshes (40 series, every value changing): 40 × refreshes sample rows. */
export function busyHistory(path: string, refreshes: number): void {
  const s = new HistoryStore({ ...storeOptions("org-big", BACKUP_T0 + 30 * DAY), path });
  for (let i = 0; i < refreshes; i++) s.record(busyRefresh(BACKUP_T0 + 60 * i, i));
  s.close();
}

export const openPg = (url: string, orgName: string, nowS = NOW_S) => PgHistoryStore.open({ ...storeOptions(orgName, nowS), url });
export const openSqlite = (path: string, orgName: string, nowS = NOW_S) => new HistoryStore({ ...storeOptions(orgName, nowS), path });

const ROWS = `SELECT s.org_name, s.kind, s.key, m.start, m."end", m.last, m.capacity, m.min, m.max, m.area, m.covered, m.at_capacity
  FROM samples m JOIN series s ON s.id = m.series_id ORDER BY 1, 2, 3, 4`;

/** Every sample row of the file, series by identity (ids differ between the engines). */
export function sqliteRows(path: string): unknown[] {
  const db = new Database(path, { readonly: true });
  try {
    return db
      .query(ROWS)
      .all()
      .map((r) => Object.values(r as object));
  } finally {
    db.close();
  }
}

/** The same from PostgreSQL, start and end (bigint, sent as strings) as numbers. */
export async function pgRows(url: string): Promise<unknown[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql.unsafe(ROWS);
    return rows.map((r) => Object.values(r).map((v, i) => ((i === 3 || i === 4) && v !== null ? Number(v) : v)));
  } finally {
    await sql.end();
  }
}

export { pgCount } from "../pg/server.ts";
