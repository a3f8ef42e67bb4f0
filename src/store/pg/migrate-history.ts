/**
 * Copies a SQLite history (every org in it) into a PostgreSQL history database (README "Moving the
 * history to PostgreSQL"). The SQLite file is read read-only inside one read transaction: in WAL mode
 * that sees one point in time and neither blocks an exporter writing the file nor is blocked by it.
 * Each org is copied under its writer lock (owner.ts), so rows never interleave with a live
 * exporter's. Idempotent and resumable: series are matched by (org_name, kind, key), samples resume
 * after the PostgreSQL series' last start (its high-water mark) and insert with ON CONFLICT DO
 * NOTHING, every batch commits on its own, so a run killed at any point completes on the next.
 */
import type { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import postgres from "postgres";
import { StoreError } from "../../errors.ts";
import { closeNow, openHistorySource } from "../db.ts";
import { CONNECT_TIMEOUT_S, describeSchemaState, migratePostgres } from "./migrate.ts";
import { type CopyProgress, copyOrg, type OrgCopied } from "./migrate-copy.ts";
import { claimPgOwner } from "./owner.ts";

/** How long a SQLite read waits on a lock: a WAL reader waits only while the writer restarts the log. */
export const MIGRATE_BUSY_TIMEOUT_MS = 5_000;

/** The migration was not attempted because of how it was asked for (no SQLite history at DB_PATH); nothing was written. */
export class MigrateRefused extends Error {
  override readonly name = "MigrateRefused";
}

export interface MigrateOptions {
  /** SQLite migrations folder instead of the embedded ones (checks the source is ours and not newer). */
  sqliteMigrations?: string;
  /** PostgreSQL migrations folder instead of the embedded ones. */
  pgMigrations?: string;
  onProgress?: (p: CopyProgress) => void;
  /** Milliseconds since the epoch (the marker of a first copy records it). */
  now?: () => number;
}

export interface MigrateResult {
  orgs: OrgCopied[];
}

/** Copies the history at `source` into the database at `url`. Throws MigrateRefused, or StoreError (message without the URL's password). */
export async function migrateHistory(source: string, url: string, opts: MigrateOptions = {}): Promise<MigrateResult> {
  if (source === ":memory:")
    throw new MigrateRefused("DB_PATH is :memory:, whose history lives in the exporter's memory only: nothing to migrate");
  if (!existsSync(source)) throw new MigrateRefused(`there is no history database at DB_PATH (${source})`);
  const sqlite = openSource(source, opts.sqliteMigrations);
  try {
    const schema = await migratePostgres(url, { migrationsFolder: opts.pgMigrations });
    if (schema.state === "newer") throw new StoreError("newer_schema", `PostgreSQL history database: ${describeSchemaState(schema)}`);
    // One read transaction for the whole copy: every org as of one commit of the exporter.
    sqlite.run("BEGIN");
    const orgs = orgNames(sqlite);
    const sql = postgres(url, { max: 1, connect_timeout: CONNECT_TIMEOUT_S, onnotice: () => {} });
    try {
      const copied: OrgCopied[] = [];
      for (const org of orgs)
        copied.push(
          await underLock(url, org, () => copyOrg(sqlite, sql, org, Math.floor((opts.now ?? Date.now)() / 1000), opts.onProgress)),
        );
      return { orgs: copied };
    } finally {
      await sql.end({ timeout: 5 }).catch(() => {});
    }
  } finally {
    closeNow(sqlite);
  }
}

/** Every org the file holds anything of, in name order. */
function orgNames(sqlite: Database): string[] {
  const rows = sqlite
    .query("SELECT org_name AS o FROM series UNION SELECT org_name FROM snapshots UNION SELECT org_name FROM store_state ORDER BY 1")
    .all() as { o: string }[];
  return rows.map((r) => r.o);
}

/** Runs `copy` holding the org's writer lock; a lock held by another (a running exporter) is a failure naming the org. */
async function underLock<T>(url: string, org: string, copy: () => Promise<T>): Promise<T> {
  const lock = await claimPgOwner(url, org);
  try {
    if (!lock.held())
      throw new StoreError(
        "busy",
        `org ${org}: an exporter is writing its history in PostgreSQL right now; stop it (or wait) and run the migration again — copying under a live writer would interleave rows`,
      );
    return await copy();
  } finally {
    await lock.release().catch(() => {});
  }
}

/** The source, read-only, after the checks every opening of a history database makes. */
const openSource = (path: string, migrationsFolder: string | undefined): Database =>
  openHistorySource(
    path,
    migrationsFolder,
    MIGRATE_BUSY_TIMEOUT_MS,
    () => new MigrateRefused(`DB_PATH (${path}) is an empty file: no history to migrate`),
  );
