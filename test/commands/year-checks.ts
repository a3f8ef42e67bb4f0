import { Database } from "bun:sqlite";
import postgres from "postgres";
import { MIGRATED_MARKER } from "../../src/store/pg/migrate-copy.ts";

/** One org's rows per table; store_state without the migration's own marker (PostgreSQL only). */
const COUNTS = (org: string) => `SELECT
  (SELECT count(*) FROM series WHERE org_name = '${org}') AS series,
  (SELECT count(*) FROM samples m JOIN series s ON s.id = m.series_id WHERE s.org_name = '${org}') AS samples,
  (SELECT count(*) FROM samples m JOIN series s ON s.id = m.series_id WHERE s.org_name = '${org}' AND m.min IS NOT NULL) AS rolled,
  (SELECT count(*) FROM store_state WHERE org_name = '${org}' AND name <> '${MIGRATED_MARKER}') AS store_state,
  (SELECT count(*) FROM snapshots WHERE org_name = '${org}') AS snapshots`;

export type Counts = Record<"series" | "samples" | "rolled" | "store_state" | "snapshots", number>;

export function sqliteCounts(path: string, org: string): Counts {
  const db = new Database(path, { readonly: true });
  try {
    return db.query(COUNTS(org)).get() as Counts;
  } finally {
    db.close();
  }
}

export async function pgCounts(url: string, org: string): Promise<Counts> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql.unsafe(COUNTS(org));
    return Object.fromEntries(Object.entries(row!).map(([k, v]) => [k, Number(v)])) as Counts;
  } finally {
    await sql.end();
  }
}

/**
 * A digest of everything PostgreSQL holds (series by identity, since ids are the database's own;
 * every sample column; the markers and snapshots): two databases with equal digests hold the same rows.
 */
export async function pgDigest(url: string): Promise<{ rows: number; md5: string; state: string }> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [rows] = await sql.unsafe(`SELECT count(*) AS n, md5(string_agg(concat_ws('|', s.org_name, s.kind, s.key, s.labels,
      m.start, m."end", m.last, m.capacity, m.min, m.max, m.area, m.covered, m.at_capacity), E'\\n'
      ORDER BY s.org_name, s.kind, s.key, m.start)) AS md5 FROM samples m JOIN series s ON s.id = m.series_id`);
    const [state] = await sql.unsafe(`SELECT md5(
      (SELECT string_agg(concat_ws('|', org_name, name, CASE WHEN name = '${MIGRATED_MARKER}' THEN 0 ELSE value END), ',' ORDER BY org_name, name) FROM store_state)
      || (SELECT string_agg(concat_ws('|', org_name, collected_at, format, md5(body)), ',' ORDER BY org_name) FROM snapshots)) AS md5`);
    return { rows: Number(rows!.n), md5: String(rows!.md5), state: String(state!.md5) };
  } finally {
    await sql.end();
  }
}

/** How many rows of the samples of `a` and `b` (two SQLite files) are in one and not the other, series by identity. */
export function sqliteRowDifference(a: string, b: string): number {
  const db = new Database(a, { readonly: true });
  try {
    db.run(`ATTACH DATABASE '${b.replaceAll("'", "''")}' AS other`);
    const rows = (schema: string) => `SELECT s.org_name, s.kind, s.key, m.start, m."end", m.last, m.capacity, m.min, m.max, m.area,
      m.covered, m.at_capacity FROM ${schema}.samples m JOIN ${schema}.series s ON s.id = m.series_id`;
    const one = db.query(`SELECT count(*) AS n FROM (${rows("main")} EXCEPT ${rows("other")})`).get() as { n: number };
    const two = db.query(`SELECT count(*) AS n FROM (${rows("other")} EXCEPT ${rows("main")})`).get() as { n: number };
    return one.n + two.n;
  } finally {
    db.close();
  }
}
