import { Database } from "bun:sqlite";
import { createHash } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { z } from "zod";
import { openImmutable } from "./immutable.ts";

/**
 * One writer per history database file and org. The lock is SQLite's own: a small database next to
 * the history file ("<file>-owner-<org>.lock"), opened in EXCLUSIVE locking mode and written once, so
 * its connection keeps the file's write lock until it closes. The operating system drops that lock
 * when the process ends, SIGKILL included: a leftover file holds no lock and needs no cleanup. It is
 * never deleted (deleting a lock file lets two processes each lock a different file of one name).
 * A second process (or a second connection in this one) cannot take it, and reads who holds it from
 * the file without locking. File locks over NFS are only as good as the NFS server's lock service.
 */

/** Who holds a lock: written into it, shown to the process that is refused. */
export interface OwnerIdentity {
  pid: number;
  host: string;
  /** ms since epoch. */
  since: number;
}

const Holder = z.object({ pid: z.number().int(), host: z.string(), since: z.number() });

/** Another exporter holds the history of this org in this file. */
export class OwnerConflict extends Error {
  override readonly name = "OwnerConflict";
  constructor(
    readonly path: string,
    readonly orgName: string,
    readonly holder: OwnerIdentity | undefined,
  ) {
    const who = holder
      ? `pid ${holder.pid} on host ${holder.host}, since ${new Date(holder.since).toISOString()}`
      : "a process that could not be identified";
    super(
      `history database ${path} is in use for org ${orgName} by another exporter (${who}); ` +
        "two exporters must not write one org's history: give each its own DB_PATH, or run them for different orgs " +
        "(replicas sharing one history are not supported on SQLite)",
    );
  }
}

export interface OwnerLock {
  readonly lockPath: string;
  /** Lets another process take the file; idempotent. Process exit does the same. */
  release(): void;
}

/** The lock file of `orgName` next to the history database at `path`. */
export function lockPathOf(path: string, orgName: string): string {
  // A hash of the exact name: distinct orgs never share a lock, also on case-insensitive file systems
  // or when the readable part is cut short.
  const hash = createHash("sha256").update(orgName).digest("hex").slice(0, 10);
  const readable = orgName.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 40);
  return join(dirname(path), `${basename(path)}-owner-${readable}-${hash}.lock`);
}

/**
 * Takes the lock of `orgName` in the history file at `path` for this process. Throws OwnerConflict
 * when another process (or connection) holds it, and the SQLite or file-system error when the lock
 * file cannot be created or written (e.g. a read-only disk).
 */
export function claimOwner(path: string, orgName: string, me: OwnerIdentity): OwnerLock {
  const lockPath = lockPathOf(path, orgName);
  const sqlite = new Database(lockPath, { create: true });
  try {
    // Short: two processes starting together wait for each other only while one writes its row.
    sqlite.run("PRAGMA busy_timeout = 500");
    // Normal locking until the write lock is held: a process refused at BEGIN then keeps no read
    // lock that would block the winner. Exclusive mode set inside the transaction keeps it after COMMIT.
    sqlite.run("BEGIN EXCLUSIVE");
    sqlite.run("PRAGMA locking_mode = EXCLUSIVE");
    sqlite.run("CREATE TABLE IF NOT EXISTS owner (pid INTEGER NOT NULL, host TEXT NOT NULL, since INTEGER NOT NULL)");
    sqlite.run("DELETE FROM owner");
    sqlite.run("INSERT INTO owner (pid, host, since) VALUES (?, ?, ?)", [me.pid, me.host, me.since]);
    sqlite.run("COMMIT");
  } catch (err) {
    closeAtOnce(sqlite);
    if (String((err as { code?: unknown }).code ?? "").startsWith("SQLITE_BUSY"))
      throw new OwnerConflict(path, orgName, holderOf(lockPath));
    throw err;
  }
  let held = true;
  return {
    lockPath,
    release: () => {
      if (held) closeAtOnce(sqlite);
      held = false;
    },
  };
}

/** Who wrote the lock file last, read without locking (immutable): the holder keeps it locked. */
function holderOf(lockPath: string): OwnerIdentity | undefined {
  let reader: Database | undefined;
  try {
    reader = openImmutable(lockPath);
    const parsed = Holder.safeParse(reader.query("SELECT pid, host, since FROM owner").get());
    return parsed.success ? parsed.data : undefined;
  } catch {
    // Written by the holder only once it had the lock: a holder still starting is not yet named.
    return undefined;
  } finally {
    reader?.close();
  }
}

/** The lock goes with the connection: close it now, not when its statements are collected. */
function closeAtOnce(sqlite: Database): void {
  try {
    sqlite.close(true);
  } catch {
    sqlite.close(false);
  }
}
