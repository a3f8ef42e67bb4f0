import { Database } from "bun:sqlite";
import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { type BunSQLiteDatabase, drizzle } from "drizzle-orm/bun-sqlite";
import { migrate } from "drizzle-orm/bun-sqlite/migrator";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { StoreError } from "../errors.ts";
import * as schema from "./schema.ts";

/** Written into the SQLite header of every database this exporter creates ("NCLS"). */
export const APPLICATION_ID = 0x4e434c53;

export const DEFAULT_MIGRATIONS = fileURLToPath(new URL("../../migrations", import.meta.url));

const MIGRATIONS_TABLE = "__drizzle_migrations";

export type Db = BunSQLiteDatabase<typeof schema>;

export interface Opened {
  sqlite: Database;
  db: Db;
}

/**
 * Opens (creating when absent) and migrates the history database. Throws a StoreError, leaving the
 * file untouched, when it is not ours (another application's database, any other file) or was
 * written by a newer version of the exporter.
 */
export function openDatabase(path: string, migrationsFolder = DEFAULT_MIGRATIONS): Opened {
  if (!existsSync(migrationsFolder)) throw new StoreError("error", `history database: migrations folder ${migrationsFolder} is missing`);
  if (path !== ":memory:") {
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (err) {
      throw StoreError.from(err, `history database: cannot create the folder of ${path}`);
    }
  }
  let sqlite: Database | undefined;
  try {
    sqlite = new Database(path, { create: true });
    // A lock held by a reader (e.g. the sqlite3 shell) is waited on briefly, never for long: writes run on the event loop.
    sqlite.run("PRAGMA busy_timeout = 200");
    checkOwnership(sqlite, path, migrationsFolder);
    // WAL: readers never block the writer, and a killed process loses at most its open transaction.
    // synchronous=NORMAL is safe against process crashes in WAL mode; only a power cut may lose the last commits.
    sqlite.run("PRAGMA journal_mode = WAL");
    sqlite.run("PRAGMA synchronous = NORMAL");
    const db = drizzle({ client: sqlite, schema });
    migrate(db, { migrationsFolder, migrationsTable: MIGRATIONS_TABLE });
    return { sqlite, db };
  } catch (err) {
    sqlite?.close(false);
    throw StoreError.from(err, `history database ${path}`);
  }
}

/** Refuses files that are not this exporter's, and marks a new empty database as ours. */
function checkOwnership(sqlite: Database, path: string, migrationsFolder: string): void {
  const appId = (sqlite.query("PRAGMA application_id").get() as { application_id: number }).application_id;
  const tables = (sqlite.query("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
  if (appId !== APPLICATION_ID) {
    if (appId !== 0 || tables.length > 0) {
      throw new StoreError("foreign", `history database ${path} belongs to another application (it has tables ${tables.slice(0, 5).join(", ") || "none"}); refusing to change it — point DB_PATH at a new file`);
    }
    // Marked before migrating: a crash between the two leaves a database we still recognise.
    sqlite.run(`PRAGMA application_id = ${APPLICATION_ID}`);
    return;
  }
  if (!tables.includes(MIGRATIONS_TABLE)) return;
  const known = new Set(readMigrationFiles({ migrationsFolder }).map((m) => m.hash));
  const applied = sqlite.query(`SELECT hash FROM ${MIGRATIONS_TABLE}`).all() as { hash: string }[];
  const unknown = applied.filter((m) => !known.has(m.hash)).length;
  if (unknown > 0) {
    throw new StoreError("newer_schema", `history database ${path} was written by a newer version of the exporter (${unknown} migration(s) this version does not know); refusing to change it — upgrade the exporter or point DB_PATH at a new file`);
  }
}
