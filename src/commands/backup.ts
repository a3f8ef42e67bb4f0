import { StoreError } from "../errors.ts";
import { BackupRefused, type BackupResult, backupHistory } from "../store/index.ts";

/** Where the command's one line goes. */
export interface BackupOutput {
  out: (line: string) => Promise<void>;
  err: (line: string) => Promise<void>;
}

/**
 * `--backup-history FILE`: a consistent copy of the SQLite history at DB_PATH into FILE, safe while
 * an exporter writes it (no port, no owner lock, no CLS call). One line on stdout saying what was
 * written, exit 0; a request that cannot be carried out (FILE exists or its folder does not, nothing
 * at DB_PATH) exits 2 with nothing written; a source that is not a history of ours, is damaged or
 * newer, or a copy that failed (full disk, permissions) exits 1, any partial FILE removed.
 */
export async function backupCommand(file: string, dbPath: string, output: BackupOutput): Promise<number> {
  try {
    await output.out(`${describe(backupHistory(dbPath, file))}\n`);
    return 0;
  } catch (err) {
    const refused = err instanceof BackupRefused;
    const why = err instanceof StoreError ? `${err.message} (${err.reason})` : (err as Error).message;
    await output.err(`--backup-history: ${refused ? "" : "failed: "}${why}\n`);
    return refused ? 2 : 1;
  }
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function describe(r: BackupResult): string {
  const latest = r.snapshotAt === undefined ? "no snapshot" : `last snapshot ${new Date(r.snapshotAt * 1000).toISOString()}`;
  return `history backed up to ${r.path}: ${sizeOf(r.bytes)}, ${plural(r.orgs, "org")}, ${plural(r.series, "series", "series")}, ${plural(r.samples, "row")}, ${latest}`;
}

function sizeOf(bytes: number): string {
  const mib = bytes / 1024 / 1024;
  return `${mib < 1 ? `${(bytes / 1024).toFixed(1)} KiB` : `${mib.toFixed(1)} MiB`} (${bytes} bytes)`;
}
