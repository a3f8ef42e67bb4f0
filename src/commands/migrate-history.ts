import { StoreError } from "../errors.ts";
import { redactedUrl, scrub } from "../store/pg/errors.ts";
import type { CopyProgress, OrgCopied } from "../store/pg/migrate-copy.ts";
import { MigrateRefused, migrateHistory } from "../store/pg/migrate-history.ts";

/** The shortest time between two progress lines on stderr. */
export const PROGRESS_INTERVAL_MS = 2_000;

export interface MigrateOutput {
  out: (line: string) => Promise<void>;
  err: (line: string) => Promise<void>;
  /** Milliseconds since the epoch: spaces the progress lines. */
  now: () => number;
}

/**
 * `--migrate-history [URL]`: copies the SQLite history at DB_PATH (every org) into the PostgreSQL
 * database at URL, or at DATABASE_URL when no URL is given (no port, no CLS call). Progress on
 * stderr at most every PROGRESS_INTERVAL_MS, one summary line on stdout, exit 0. A request that
 * cannot be carried out (no URL, a scheme other than postgres:// or postgresql://, no history at
 * DB_PATH) exits 2 with nothing written; a failure (database unreachable, a newer schema, an org
 * being written by an exporter or holding history not copied from SQLite) exits 1. The URL's
 * password never appears in any output.
 */
export async function migrateCommand(
  given: string | undefined,
  env: Record<string, string | undefined>,
  dbPath: string,
  output: MigrateOutput,
): Promise<number> {
  const url = given ?? env.DATABASE_URL;
  if (!url)
    return refuse(
      output,
      "needs the PostgreSQL URL: give it as the value or set DATABASE_URL (which keeps its password out of the process list)",
    );
  if (!/^postgres(ql)?:\/\//i.test(url)) return refuse(output, "the URL must start with postgres:// or postgresql://");
  let last = Number.NEGATIVE_INFINITY;
  const onProgress = (p: CopyProgress) => {
    const now = output.now();
    if (now - last < PROGRESS_INTERVAL_MS) return;
    last = now;
    void output.err(`--migrate-history: org ${p.org}: series ${p.seriesDone}/${p.seriesTotal}, ${p.rows} rows copied\n`);
  };
  try {
    const result = await migrateHistory(dbPath, url, { onProgress, now: output.now });
    await output.out(`${describe(result.orgs, url)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof MigrateRefused) return refuse(output, err.message);
    const why = err instanceof StoreError ? `${err.message} (${err.reason})` : ((err as Error)?.message ?? String(err));
    await output.err(`--migrate-history: failed: ${scrub(why, url)}\n`);
    return 1;
  }
}

async function refuse(output: MigrateOutput, why: string): Promise<number> {
  await output.err(`--migrate-history: ${why}\n`);
  return 2;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function describe(orgs: OrgCopied[], url: string): string {
  const sum = (f: (o: OrgCopied) => number) => orgs.reduce((a, o) => a + f(o), 0);
  return `history migrated to ${redactedUrl(url)}: ${plural(orgs.length, "org")}, ${plural(
    sum((o) => o.series),
    "series",
    "series",
  )} (${sum((o) => o.newSeries)} new), ${plural(
    sum((o) => o.rows),
    "row",
  )} copied`;
}
