/** Where history is kept and for how long. */
import { duration, type Env, HOUR_MS, type Named } from "./primitives.ts";
import { DB_FILE_NAME, DEFAULT_DB_PATH } from "./settings.ts";

/** History retention is not a timer, so it may exceed the 596h timer bound. */
export const retention = duration(HOUR_MS, 3650 * 24 * HOUR_MS, "3650d");

/** DB_PATH as given, else a file on the Railway volume, else the default. */
export function dbPathInput(env: Env, flag: string | undefined): string {
  return flag ?? env.DB_PATH ?? dbPathOnVolume(env) ?? DEFAULT_DB_PATH;
}

/** On Railway a mounted volume is the only storage that outlives a redeploy. */
function dbPathOnVolume(env: Env): string | undefined {
  const mount = env.RAILWAY_VOLUME_MOUNT_PATH?.trim();
  return mount ? `${mount.replace(/\/+$/, "")}/${DB_FILE_NAME}` : undefined;
}

/** Raw changes are rolled up into the hourly history, so they cannot outlive it. */
export function checkRetentions(rawMs: number, hourlyMs: number, input: Env, named: Named, problems: string[]): void {
  if (rawMs > hourlyMs) {
    const [raw, hourly] = [named("HISTORY_RAW_RETENTION"), named("HISTORY_RETENTION")];
    problems.push(`${hourly}: must be at least ${raw} ("${input.HISTORY_RAW_RETENTION}"), got "${input.HISTORY_RETENTION}"`);
  }
}
