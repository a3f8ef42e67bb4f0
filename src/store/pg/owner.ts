import { openLockSession } from "./lock-session.ts";

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

/** Tries the org's lock once, without waiting, on a session of its own (lock-session.ts); throws when the database cannot be reached. */
export async function claimPgOwner(url: string, orgName: string): Promise<OwnerLock> {
  const session = await openLockSession(url, orgName, () => {});
  try {
    const held = await session.tryLock();
    return { held: () => held && !session.lost(), release: () => session.end() };
  } catch (err) {
    await session.end();
    throw err;
  }
}
