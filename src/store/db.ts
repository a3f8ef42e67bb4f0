import { Database } from "bun:sqlite";
import { accessSync, constants, existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { type BunSQLiteDatabase, drizzle } from "drizzle-orm/bun-sqlite";
import { StoreError } from "../errors.ts";
import { openImmutable } from "./immutable.ts";
import { applyMigrations, migrationsIn, SQLITE_MIGRATIONS } from "./migrations.ts";
import { OwnerConflict, type OwnerLock } from "./owner.ts";
import * as schema from "./schema.ts";

/** Written into the SQLite header of every database this exporter creates ("NCLS"). */
export const APPLICATION_ID = 0x4e434c53;

const MIGRATIONS_TABLE = "__drizzle_migrations";

export type Db = BunSQLiteDatabase<typeof schema>;

export interface Opened {
  sqlite: Database;
  db: Db;
  /** Held while the database is open, when the opener asked for one (see owner.ts). */
  lock?: OwnerLock;
}

/**
 * Opens (creating when absent) and migrates the history database. Throws a StoreError, leaving the
 * file untouched, when it is not ours (another application's database, any other file) or was
 * written by a newer version of the exporter. With `claim`, takes the owner lock before the first
 * write and after the checks, so a file that is refused gets no lock file beside it either; what
 * `claim` throws (OwnerConflict) is thrown as it is. The migrations are those embedded in the program
 * unless `migrationsFolder` names others.
 */
export function openDatabase(path: string, migrationsFolder?: string, claim?: () => OwnerLock): Opened {
  if (migrationsFolder !== undefined && !existsSync(migrationsFolder))
    throw new StoreError("error", `history database: migrations folder ${migrationsFolder} is missing`);
  if (path !== ":memory:") {
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (err) {
      throw StoreError.from(err, `history database: cannot create the folder of ${path}`);
    }
  }
  checkBeforeWriting(path, migrationsFolder, claim !== undefined);
  let lock: OwnerLock | undefined;
  let sqlite: Database | undefined;
  try {
    lock = claim?.();
    sqlite = new Database(path, { create: true });
    // A lock held by a reader (e.g. the sqlite3 shell) is waited on briefly, never for long: writes run on the event loop.
    sqlite.run("PRAGMA busy_timeout = 200");
    checkOwnership(sqlite, path, migrationsFolder, true);
    // WAL: readers never block the writer, and a killed process loses at most its open transaction.
    // synchronous=NORMAL is safe against process crashes in WAL mode; only a power cut may lose the last commits.
    sqlite.run("PRAGMA journal_mode = WAL");
    sqlite.run("PRAGMA synchronous = NORMAL");
    const db = drizzle({ client: sqlite, schema });
    applyMigrations<void>(db, migrationsIn(migrationsFolder, SQLITE_MIGRATIONS), { migrationsTable: MIGRATIONS_TABLE });
    checkTables(sqlite, path);
    return { sqlite, db, ...(lock ? { lock } : {}) };
  } catch (err) {
    if (sqlite) closeNow(sqlite);
    lock?.release();
    if (err instanceof OwnerConflict) throw err;
    const e = StoreError.from(err, `history database ${path}`);
    // SQLite says only "unable to open database file" when it cannot create the file, or the -wal
    // and -shm files a WAL database needs (or the lock file), on a read-only disk: name the cause.
    const denied = e.reason === "cannot_open" ? unwritable(path) : undefined;
    throw denied ? new StoreError("readonly", `${e.message} (${denied})`) : e;
  }
}

/**
 * Refuses a file that is not ours (or is newer) before anything is written, read-only. A -wal (or
 * hot -journal) file left by a crash holds commits: a read-write connection would recover it into
 * the file, so it is read through. Without one, the file alone is read without locking
 * (immutable), which also works on a read-only disk; done only before taking the owner lock.
 */
function checkBeforeWriting(path: string, migrationsFolder: string | undefined, beforeLock: boolean): void {
  if (path === ":memory:" || !existsSync(path)) return;
  const hot = existsSync(`${path}-wal`) || existsSync(`${path}-journal`);
  if (!hot && !beforeLock) return;
  let reader: Database | undefined;
  try {
    reader = hot ? new Database(path, { readonly: true }) : openImmutable(path);
    checkOwnership(reader, path, migrationsFolder, false);
  } catch (err) {
    throw StoreError.from(err, `history database ${path}`);
  } finally {
    if (reader) closeNow(reader);
  }
}

/** Why the file or its folder cannot be written (WAL mode needs both), when the file system says so. */
function unwritable(path: string): string | undefined {
  for (const p of existsSync(path) ? [path, dirname(path)] : [dirname(path)]) {
    try {
      accessSync(p, constants.W_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EROFS" || code === "EACCES" || code === "EPERM") return `${code}: ${p} cannot be written`;
    }
  }
  return undefined;
}

/**
 * Opens an existing database of ours for reading only, creating no -wal or -shm file (immutable),
 * for a file on a read-only disk; undefined when there is none or it is not ours. Data still in a
 * -wal file left by a crash is not seen: what the file itself holds is consistent, only older.
 */
export function openReadOnly(path: string): Opened | undefined {
  if (path === ":memory:" || !existsSync(path)) return undefined;
  const sqlite = openImmutable(path);
  try {
    const appId = (sqlite.query("PRAGMA application_id").get() as { application_id: number }).application_id;
    if (appId === APPLICATION_ID) return { sqlite, db: drizzle({ client: sqlite, schema }) };
  } catch {
    // Not readable as SQLite: nothing to serve.
  }
  closeNow(sqlite);
  return undefined;
}

const TABLES = ["samples", "series", "snapshots", "store_state"];

/**
 * A migrated file that lacks a table was damaged by hand. Checked before any statement is prepared:
 * a connection with prepared statements cannot really be closed, and a retry would leak it.
 */
export function checkTables(sqlite: Database, path: string): void {
  const present = new Set(
    (sqlite.query("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name),
  );
  const missing = TABLES.filter((t) => !present.has(t));
  if (missing.length > 0)
    throw new StoreError(
      "corrupt",
      `history database ${path} lacks the table(s) ${missing.join(", ")} although its migrations are recorded; move the file aside and a new one is created`,
    );
}

/**
 * Closes at once. close(false) only marks a connection with live prepared statements (drizzle keeps
 * its own) to close when they are collected, holding the file and its -wal open until then.
 */
export function closeNow(sqlite: Database): void {
  try {
    sqlite.close(true);
  } catch {
    sqlite.close(false);
  }
}

/** Refuses files that are not this exporter's, and marks a new empty database as ours. `migrationsFolder`: as for openDatabase. */
export function checkOwnership(sqlite: Database, path: string, migrationsFolder: string | undefined, mark: boolean): void {
  const appId = (sqlite.query("PRAGMA application_id").get() as { application_id: number }).application_id;
  const tables = (sqlite.query("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
  if (appId !== APPLICATION_ID) {
    if (appId !== 0 || tables.length > 0) {
      throw new StoreError(
        "foreign",
        `history database ${path} belongs to another application (it has tables ${tables.slice(0, 5).join(", ") || "none"}); refusing to change it — point DB_PATH at a new file`,
      );
    }
    // Marked before migrating: a crash between the two leaves a database we still recognise.
    if (mark) sqlite.run(`PRAGMA application_id = ${APPLICATION_ID}`);
    return;
  }
  if (!tables.includes(MIGRATIONS_TABLE)) return;
  const known = new Set(migrationsIn(migrationsFolder, SQLITE_MIGRATIONS).map((m) => m.hash));
  const applied = sqlite.query(`SELECT hash FROM ${MIGRATIONS_TABLE}`).all() as { hash: string }[];
  const unknown = applied.filter((m) => !known.has(m.hash)).length;
  if (unknown > 0) {
    throw new StoreError(
      "newer_schema",
      `history database ${path} was written by a newer version of the exporter (${unknown} migration(s) this version does not know); refusing to change it — upgrade the exporter or point DB_PATH at a new file`,
    );
  }
}

/**
 * A history file opened read-only for a command that copies it (--backup-history,
 * --migrate-history), after the checks every opening makes (ours, not newer, whole): a WAL read
 * transaction, so an exporter writing it goes on. `empty` makes the error for a file with nothing
 * in it (a usage problem, not a failure); any other problem is a StoreError.
 */
export function openHistorySource(path: string, migrationsFolder: string | undefined, busyTimeoutMs: number, empty: () => Error): Database {
  let sqlite: Database | undefined;
  let refusal: Error | undefined;
  try {
    sqlite = new Database(path, { readonly: true });
    sqlite.run(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    const appId = (sqlite.query("PRAGMA application_id").get() as { application_id: number }).application_id;
    const tables = sqlite.query("SELECT count(*) AS n FROM sqlite_master").get() as { n: number };
    if (appId !== APPLICATION_ID && tables.n === 0) {
      refusal = empty();
      throw refusal;
    }
    checkOwnership(sqlite, path, migrationsFolder, false);
    checkTables(sqlite, path);
    return sqlite;
  } catch (err) {
    if (sqlite) closeNow(sqlite);
    if (err === refusal) throw err;
    throw StoreError.from(err, `history database ${path}`);
  }
}
