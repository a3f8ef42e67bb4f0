import postgres from "postgres";
import { CONNECT_TIMEOUT_S } from "./migrate.ts";

/**
 * The org's lock: a PostgreSQL session advisory lock in the two-key space (classid
 * OWNER_LOCK_CLASS, objid hashtext(org name)), which never meets the one-key MIGRATION_LOCK_KEY.
 * Its holder alone writes the org's history: the leader of the org's replicas (election.ts, which
 * holds it on a session of its own) or --migrate-history while it copies (claimPgOwner). The
 * server frees it when that session ends, also when the process dies. Two orgs whose names hash
 * alike share one lock (one of the two is then led); nothing else is shared.
 */
export const OWNER_LOCK_CLASS = 0x4e434c53; // "NCLS" in ASCII

export interface OwnerLock {
  /** Whether this session holds the org's lock (false: another exporter writes this org's history, or the session was lost). */
  held(): boolean;
  /** Ends the session, which frees the lock. */
  release(): Promise<void>;
}

/** Tries the org's lock once, without waiting; throws when the database cannot be reached. */
export async function claimPgOwner(url: string, orgName: string): Promise<OwnerLock> {
  let lost = false;
  // Never recycled (max_lifetime) or closed when idle: closing the session frees the lock.
  const sql = postgres(url, {
    max: 1,
    idle_timeout: 0,
    max_lifetime: null,
    connect_timeout: CONNECT_TIMEOUT_S,
    onnotice: () => {},
    onclose: () => {
      lost = true;
    },
  });
  try {
    const [row] = await sql<{ held: boolean }[]>`SELECT pg_try_advisory_lock(${OWNER_LOCK_CLASS}::int, hashtext(${orgName})) AS held`;
    const held = row?.held === true;
    return { held: () => held && !lost, release: () => sql.end({ timeout: 5 }) };
  } catch (err) {
    await sql.end({ timeout: 1 }).catch(() => {});
    throw err;
  }
}
