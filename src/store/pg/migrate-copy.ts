import type { Database } from "bun:sqlite";
import type { Sql } from "postgres";
import { StoreError } from "../../errors.ts";

/**
 * Rows per INSERT and per SQLite read of the migration: memory stays flat whatever the file's size,
 * and 5,000 rows × 10 columns stay below PostgreSQL's 65,535 parameters per statement.
 */
export const MIGRATE_BATCH_ROWS = 5_000;

/**
 * The store_state name that marks an org's history in PostgreSQL as (being) copied from SQLite;
 * its value is the unix second the first run began. An org with rows in PostgreSQL but without this
 * marker was written by an exporter: the migration refuses to merge into it.
 */
export const MIGRATED_MARKER = "migrated_from_sqlite";

export interface CopyProgress {
  org: string;
  seriesDone: number;
  seriesTotal: number;
  /** Sample rows inserted so far for this org. */
  rows: number;
}

export interface OrgCopied {
  org: string;
  series: number;
  /** Series that were new in PostgreSQL. */
  newSeries: number;
  /** Sample rows inserted (0 on a run after a completed one). */
  rows: number;
}

interface SourceSeries {
  id: number;
  kind: string;
  key: string;
  labels: string;
}

type SampleRow = Record<(typeof SAMPLE_COLUMNS)[number], number | null>;
const SAMPLE_COLUMNS = ["series_id", "start", "end", "last", "capacity", "min", "max", "area", "covered", "at_capacity"] as const;

/** Copies one org (its lock held by the caller): series, samples, store_state, snapshot, in that order. */
export async function copyOrg(
  sqlite: Database,
  sql: Sql,
  org: string,
  nowS: number,
  onProgress?: (p: CopyProgress) => void,
): Promise<OrgCopied> {
  await claimOrg(sql, org, nowS);
  const source = sqlite.query("SELECT id, kind, key, labels FROM series WHERE org_name = ? ORDER BY id").all(org) as SourceSeries[];
  const newSeries = await copySeries(sql, org, source);
  const ids = await pgSeriesIds(sql, org);
  const progress: CopyProgress = { org, seriesDone: 0, seriesTotal: source.length, rows: 0 };
  onProgress?.(progress);
  for (const s of source) {
    const target = ids.get(identity(s.kind, s.key));
    if (target === undefined)
      throw new StoreError("error", `org ${org}: series ${s.kind} ${s.key} is missing in PostgreSQL after its insert`);
    await copySamples(sqlite, sql, s.id, target, (n) => {
      progress.rows += n;
      onProgress?.(progress);
    });
    progress.seriesDone++;
    onProgress?.(progress);
  }
  await copyState(sqlite, sql, org);
  return { org, series: source.length, newSeries, rows: progress.rows };
}

/**
 * Refuses an org that PostgreSQL holds rows of without the marker (an exporter wrote there: its
 * history and this file's would overlap); marks a new one, in one transaction.
 */
async function claimOrg(sql: Sql, org: string, nowS: number): Promise<void> {
  await sql.begin(async (tx) => {
    const [marked] = await tx`SELECT 1 FROM store_state WHERE org_name = ${org} AND name = ${MIGRATED_MARKER}`;
    if (marked) return;
    const [held] = await tx`
      SELECT (SELECT count(*) FROM series WHERE org_name = ${org}) + (SELECT count(*) FROM snapshots WHERE org_name = ${org})
        + (SELECT count(*) FROM store_state WHERE org_name = ${org}) AS n`;
    if (Number(held?.n) > 0)
      throw new StoreError(
        "error",
        `org ${org}: PostgreSQL already holds history of this org that was not copied from SQLite (an exporter wrote it); refusing to merge the two — migrate into an empty database, or delete that org's rows first`,
      );
    await tx`INSERT INTO store_state (org_name, name, value) VALUES (${org}, ${MIGRATED_MARKER}, ${nowS})`;
  });
}

const identity = (kind: string, key: string) => `${kind}\u0000${key}`;

/** Inserts the series PostgreSQL lacks; returns how many were new. Labels already there are kept (they may be newer). */
async function copySeries(sql: Sql, org: string, source: SourceSeries[]): Promise<number> {
  let inserted = 0;
  for (let i = 0; i < source.length; i += MIGRATE_BATCH_ROWS) {
    const rows = source.slice(i, i + MIGRATE_BATCH_ROWS).map((s) => ({ org_name: org, kind: s.kind, key: s.key, labels: s.labels }));
    const r = await sql`INSERT INTO series ${sql(rows, "org_name", "kind", "key", "labels")} ON CONFLICT (org_name, kind, key) DO NOTHING`;
    inserted += r.count;
  }
  return inserted;
}

/** PostgreSQL's series ids of the org by identity: the ids differ from SQLite's. */
async function pgSeriesIds(sql: Sql, org: string): Promise<Map<string, number>> {
  const rows = await sql<{ id: number; kind: string; key: string }[]>`SELECT id, kind, key FROM series WHERE org_name = ${org}`;
  return new Map(rows.map((r) => [identity(r.kind, r.key), r.id]));
}

/** The series' rows after PostgreSQL's last start for it, a batch per read and per INSERT. */
async function copySamples(sqlite: Database, sql: Sql, from: number, to: number, copied: (n: number) => void): Promise<void> {
  const [mark] = await sql<{ hw: string | null }[]>`SELECT max(start) AS hw FROM samples WHERE series_id = ${to}`;
  let after = mark?.hw === null || mark?.hw === undefined ? Number.MIN_SAFE_INTEGER : Number(mark.hw);
  const read = sqlite.query(
    `SELECT start, "end", last, capacity, min, max, area, covered, at_capacity FROM samples
      WHERE series_id = ? AND start > ? ORDER BY start LIMIT ${MIGRATE_BATCH_ROWS}`,
  );
  for (;;) {
    const batch = read.all(from, after) as SampleRow[];
    if (batch.length === 0) return;
    const rows: SampleRow[] = batch.map((r) => ({ ...r, series_id: to }));
    const r = await sql`INSERT INTO samples ${sql(rows, [...SAMPLE_COLUMNS])} ON CONFLICT (series_id, start) DO NOTHING`;
    copied(r.count);
    after = Number(batch[batch.length - 1]?.start);
    if (batch.length < MIGRATE_BATCH_ROWS) return;
  }
}

/**
 * Progress markers and the last snapshot, after the samples they describe. A marker only moves
 * forward and a snapshot is replaced only by a newer one: an exporter that wrote after an earlier
 * run keeps what it wrote.
 */
async function copyState(sqlite: Database, sql: Sql, org: string): Promise<void> {
  const states = sqlite.query("SELECT name, value FROM store_state WHERE org_name = ?").all(org) as { name: string; value: number }[];
  for (const s of states)
    await sql`INSERT INTO store_state (org_name, name, value) VALUES (${org}, ${s.name}, ${s.value})
      ON CONFLICT (org_name, name) DO UPDATE SET value = GREATEST(store_state.value, excluded.value)`;
  const snap = sqlite.query("SELECT collected_at, format, body FROM snapshots WHERE org_name = ?").get(org) as {
    collected_at: number;
    format: number;
    body: string;
  } | null;
  if (!snap) return;
  await sql`INSERT INTO snapshots (org_name, collected_at, format, body) VALUES (${org}, ${snap.collected_at}, ${snap.format}, ${snap.body})
    ON CONFLICT (org_name) DO UPDATE SET collected_at = excluded.collected_at, format = excluded.format, body = excluded.body
    WHERE snapshots.collected_at < excluded.collected_at`;
}
