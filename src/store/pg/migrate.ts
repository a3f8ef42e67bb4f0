import type { MigrationMeta } from "drizzle-orm/migrator";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres, { type Sql } from "postgres";
import { StoreError } from "../../errors.ts";
import { applyMigrations, migrationsIn, PG_MIGRATIONS } from "../migrations.ts";
import { pgStoreError } from "./errors.ts";

/**
 * Brings a PostgreSQL database to this version's schema (migrations/postgres/, generated from
 * schema.ts). Replicas starting together take turns: everything runs under a session advisory lock
 * on MIGRATION_LOCK_KEY, so exactly one applies a migration and the others then find the schema
 * current. A database with migrations this version does not know is left untouched and reported
 * "newer" (a rolling upgrade: this replica can still serve as a follower). A database holding
 * another application's tables is refused, never migrated into.
 */

/** The advisory lock key of migrations ("NCLSMIGR" in ASCII), one per database whatever the org. */
export const MIGRATION_LOCK_KEY = 0x4e434c534d494752n;
/** How long a replica waits for another's migration before failing with reason "busy" (a retry can follow). */
export const MIGRATION_LOCK_TIMEOUT_MS = 120_000;
/** Seconds to wait for the connection itself. */
export const CONNECT_TIMEOUT_S = 10;
/**
 * The application marker, like SQLite's application_id: a one-row table created in a schema that
 * had no tables, before the first migration. A schema with tables but without it is another
 * application's database.
 */
export const APPLICATION_TABLE = "nvidia_cls_exporter";
export const APPLICATION_NAME = "nvidia-license-server-exporter";
/** drizzle's table of applied migrations, kept in the same schema as the tables (never drizzle's own "drizzle" schema, which another application may use). */
export const MIGRATIONS_TABLE = "__drizzle_migrations";

/** Versions count applied migrations: 0 for an empty database. */
export type SchemaState =
  | { state: "current"; version: number }
  | { state: "migrated"; from: number; to: number }
  /** The database holds `unknown` migrations this version does not know; nothing was changed. */
  | { state: "newer"; version: number; unknown: number };

export interface MigrateOptions {
  /** Migrations read from this folder instead of those embedded in the program (migrations/postgres/). */
  migrationsFolder?: string;
  lockTimeoutMs?: number;
}

/** One line for the log: "current (version 1)", "migrated from 0 to 1", "newer (…)". */
export function describeSchemaState(s: SchemaState): string {
  if (s.state === "current") return `current (version ${s.version})`;
  if (s.state === "migrated") return `migrated from ${s.from} to ${s.to}`;
  return `newer: the database holds ${s.unknown} migration(s) this version does not know (version ${s.version}); left unchanged`;
}

/** Migrates the database at `url` on a connection of its own, closed before returning. Throws StoreError. */
export async function migratePostgres(url: string, options: MigrateOptions = {}): Promise<SchemaState> {
  let lost = false;
  let sql: Sql | undefined;
  try {
    const migrations = migrationsIn(options.migrationsFolder, PG_MIGRATIONS);
    // One connection: the session that holds the lock is the one that migrates. If it drops,
    // the lock is gone with it, so the run fails instead of reconnecting without the lock.
    sql = postgres(url, { max: 1, connect_timeout: CONNECT_TIMEOUT_S, onnotice: () => {}, onclose: () => (lost = true) });
    await sql`SELECT set_config('lock_timeout', ${`${options.lockTimeoutMs ?? MIGRATION_LOCK_TIMEOUT_MS}ms`}, false)`;
    await sql`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY.toString()}::bigint)`;
    const held = () => {
      if (lost) throw new StoreError("io", "the session holding the migration lock was lost");
    };
    const state = await underLock(sql, migrations, held);
    held();
    await sql`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY.toString()}::bigint)`;
    return state;
  } catch (err) {
    throw pgStoreError(err, url, "PostgreSQL history database");
  } finally {
    // Ending the session also frees the lock when an error came first.
    await sql?.end({ timeout: 5 }).catch(() => {});
  }
}

async function underLock(sql: Sql, migrations: MigrationMeta[], held: () => void): Promise<SchemaState> {
  const [{ schema } = { schema: null }] = await sql<{ schema: string | null }[]>`SELECT current_schema() AS schema`;
  if (!schema) throw new StoreError("error", "no schema to create tables in (the search_path names none that exists)");
  await claimSchema(sql, schema);
  const applied = await appliedHashes(sql, schema);
  const knownSet = new Set(migrations.map((m) => m.hash));
  const unknown = applied.filter((h) => !knownSet.has(h)).length;
  if (unknown > 0) return { state: "newer", version: applied.length, unknown };
  if (applied.length >= migrations.length) return { state: "current", version: applied.length };
  held();
  await applyMigrations<Promise<void>>(drizzle({ client: sql }), migrations, {
    migrationsSchema: schema,
    migrationsTable: MIGRATIONS_TABLE,
  });
  return { state: "migrated", from: applied.length, to: (await appliedHashes(sql, schema)).length };
}

/** Refuses another application's schema; marks an empty one as ours (before any migration, like SQLite's application_id). */
async function claimSchema(sql: Sql, schema: string): Promise<void> {
  const tables = (
    await sql<{ name: string }[]>`
    SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ${schema} ORDER BY table_name`
  ).map((t) => t.name);
  if (tables.includes(APPLICATION_TABLE)) {
    const rows = await sql<{ name: string }[]>`SELECT name FROM ${sql(schema)}.${sql(APPLICATION_TABLE)}`;
    if (rows.length === 1 && rows[0]?.name === APPLICATION_NAME) return;
    throw foreign(schema, tables);
  }
  if (tables.length > 0) throw foreign(schema, tables);
  await sql.begin(async (tx) => {
    await tx`CREATE TABLE ${sql(schema)}.${sql(APPLICATION_TABLE)} (name text PRIMARY KEY)`;
    await tx`INSERT INTO ${sql(schema)}.${sql(APPLICATION_TABLE)} (name) VALUES (${APPLICATION_NAME})`;
    await tx.unsafe(
      `COMMENT ON TABLE ${quoteIdent(schema)}.${APPLICATION_TABLE} IS 'Marks this schema as the history of ${APPLICATION_NAME}'`,
    );
  });
}

function foreign(schema: string, tables: string[]): StoreError {
  const shown = tables.slice(0, 5).join(", ") + (tables.length > 5 ? `, … (${tables.length} tables)` : "");
  return new StoreError(
    "foreign",
    `schema ${schema} belongs to another application (it has the tables ${shown} but no ${APPLICATION_TABLE} marker); refusing to change it — give the exporter a database or schema of its own`,
  );
}

async function appliedHashes(sql: Sql, schema: string): Promise<string[]> {
  const [{ present } = { present: false }] = await sql<{ present: boolean }[]>`
    SELECT to_regclass(${`${quoteIdent(schema)}.${quoteIdent(MIGRATIONS_TABLE)}`}) IS NOT NULL AS present`;
  if (!present) return [];
  return (await sql<{ hash: string }[]>`SELECT hash FROM ${sql(schema)}.${sql(MIGRATIONS_TABLE)} ORDER BY id`).map((r) => r.hash);
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
