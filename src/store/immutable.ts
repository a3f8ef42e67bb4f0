import { Database, constants as sqliteFlags } from "bun:sqlite";
import { pathToFileURL } from "node:url";

/**
 * An SQLite file opened for reading only and without locking (immutable): no -wal or -shm file is
 * made, it works on a read-only disk, and a lock another process holds does not stop the read. What
 * a -wal file beside it holds is not seen.
 */
export const openImmutable = (path: string): Database =>
  new Database(`${pathToFileURL(path).href}?immutable=1`, sqliteFlags.SQLITE_OPEN_READONLY | sqliteFlags.SQLITE_OPEN_URI);
