/**
 * A consistent copy of a history database, taken while an exporter may be writing it (README
 * "Backing up the history"). VACUUM INTO reads the source in one read transaction: in WAL mode that
 * transaction sees the last commit made before it began, committed pages still in the -wal file
 * included, and neither blocks the writer nor is blocked by it. A plain file copy of a live WAL
 * database has no such point in time: the file and its -wal are copied at different moments.
 */
import { Database } from "bun:sqlite";
import { closeSync, existsSync, fsyncSync, openSync, rmSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { StoreError } from "../errors.ts";
import { closeNow, openHistorySource } from "./db.ts";

/**
 * How long the copy waits on a lock: a WAL reader waits only while the writer recovers or restarts
 * the log, which takes milliseconds; a lock held longer is a fault worth reporting.
 */
export const BACKUP_BUSY_TIMEOUT_MS = 5_000;

/** The backup was not attempted because of how it was asked for (nothing to copy, a target in the way); nothing was written. */
export class BackupRefused extends Error {
  override readonly name = "BackupRefused";
}

/** What the copy holds, read back from the copy itself. */
export interface BackupResult {
  path: string;
  bytes: number;
  orgs: number;
  series: number;
  /** Rows of the samples table. */
  samples: number;
  /** Unix seconds of the newest stored snapshot; undefined when the file holds none. */
  snapshotAt: number | undefined;
}

/**
 * Copies the history database at `source` into `target`, a new file (mode 0600) that is never an
 * existing one. Throws BackupRefused (nothing written) for a request that cannot be carried out, and
 * StoreError for a source that is not ours, damaged or newer, or a copy that failed; a partly
 * written target is removed. The source is opened read-only and never changed.
 */
export function backupHistory(source: string, target: string, migrationsFolder?: string): BackupResult {
  checkTarget(target);
  if (source === ":memory:")
    throw new BackupRefused("DB_PATH is :memory:, whose history lives in the exporter's memory only: nothing to back up");
  if (!existsSync(source)) throw new BackupRefused(`there is no history database at DB_PATH (${source})`);
  const reader = openSource(source, migrationsFolder);
  try {
    createTarget(target);
    try {
      reader.prepare("VACUUM INTO ?").run(target);
      // SQLite does not sync what VACUUM INTO wrote: a backup must survive a power cut once reported.
      syncToDisk(target);
      return describeCopy(target);
    } catch (err) {
      rmSync(target, { force: true });
      throw StoreError.from(err, `backing up ${source} to ${target}`);
    }
  } finally {
    closeNow(reader);
  }
}

/**
 * A target in the way is refused before the source is read. A -journal or -wal beside a new file
 * would be taken by SQLite as part of it (a hot journal is rolled back into the copy).
 */
function checkTarget(target: string): void {
  const inTheWay = [target, `${target}-journal`, `${target}-wal`].find((p) => existsSync(p));
  if (inTheWay) throw new BackupRefused(`${inTheWay} exists; a backup never overwrites a file: choose a new name or move it away`);
  if (!existsSync(dirname(target))) throw new BackupRefused(`the folder of ${target} does not exist`);
}

/** Exclusively (a file created meanwhile is not overwritten either), readable by its owner only: history names users' hosts. */
function createTarget(target: string): void {
  try {
    closeSync(openSync(target, "wx", 0o600));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") throw new BackupRefused(`${target} exists; a backup never overwrites a file: choose a new name or move it away`);
    if (code === "ENOENT" || code === "ENOTDIR") throw new BackupRefused(`the folder of ${target} does not exist`);
    throw StoreError.from(err, `cannot create ${target}`);
  }
}

/** The source, read-only, after the checks every opening of a history database makes. */
const openSource = (path: string, migrationsFolder: string | undefined): Database =>
  openHistorySource(
    path,
    migrationsFolder,
    BACKUP_BUSY_TIMEOUT_MS,
    () => new BackupRefused(`DB_PATH (${path}) is an empty file: no history to back up`),
  );

function syncToDisk(target: string): void {
  const fd = openSync(target, "r+");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  // The new name in its folder, where the file system supports syncing a folder.
  try {
    const dir = openSync(dirname(target), "r");
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  } catch {
    // Not every file system syncs folders; the file's own content is synced above.
  }
}

/** Checks the copy (quick_check reads every page) and counts what it holds. */
function describeCopy(target: string): BackupResult {
  const copy = new Database(target, { readonly: true });
  try {
    const check = copy.query("PRAGMA quick_check").all() as { quick_check: string }[];
    if (check[0]?.quick_check !== "ok")
      throw new StoreError("corrupt", `the copy failed its check: ${check[0]?.quick_check ?? "no answer"}`);
    const counts = copy
      .query(
        `SELECT (SELECT count(*) FROM series) AS series, (SELECT count(*) FROM samples) AS samples,
          (SELECT count(*) FROM (SELECT org_name FROM series UNION SELECT org_name FROM snapshots)) AS orgs,
          (SELECT max(collected_at) FROM snapshots) AS snapshotAt`,
      )
      .get() as { series: number; samples: number; orgs: number; snapshotAt: number | null };
    return { path: target, bytes: statSync(target).size, ...counts, snapshotAt: counts.snapshotAt ?? undefined };
  } finally {
    closeNow(copy);
  }
}
