import { createHash } from "node:crypto";
import { sql } from "drizzle-orm";
import type { PgTx } from "./db.ts";
import { OWNER_LOCK_CLASS } from "./owner.ts";

/** The channel every write of an org's snapshot is announced on; the payload is `orgTag(org)`. */
export const SNAPSHOT_CHANNEL = "nvidia_cls_snapshot";

/** An org as a notification names it: fixed length whatever the org name (a payload must stay under 8,000 bytes). */
export const orgTag = (orgName: string): string => createHash("md5").update(orgName).digest("hex");

/** A write refused because this exporter's session no longer holds the org's lock: another may lead now. */
export class NotLeader extends Error {
  override readonly name = "NotLeader";
}

/**
 * The lock class of an org's writes (two-key space, objid hashtext(org)): each write transaction
 * holds it shared, a new leader takes it exclusively while it reads what was written before (see
 * takeOverWrites), so a write of the previous leader still in flight is committed or gone by then.
 */
export const WRITE_FENCE_CLASS = OWNER_LOCK_CLASS + 1;

/** Runs first in every transaction that writes an org's history; throws NotLeader to roll it back. */
export type WriteGuard = (tx: PgTx) => Promise<void>;

/**
 * The fence of a leader's writes: the transaction goes on only while the session `pid()` names
 * (the one that took the org's lock, src/store/pg/election.ts) still holds it. Writes run on other
 * connections than that session; without this, a leader whose session was ended (a network cut,
 * pg_terminate_backend) could commit a write after another exporter took the lock.
 */
export function leaderFence(orgName: string, pid: () => number | undefined): WriteGuard {
  return async (tx) => {
    const holder = pid();
    if (holder === undefined) throw new NotLeader("this exporter does not hold the org's writer lock");
    await tx.execute(sql`SELECT pg_advisory_xact_lock_shared(${WRITE_FENCE_CLASS}::int, hashtext(${orgName}))`);
    // A two-key advisory lock shows as classid, objid (both oid) and objsubid 2 in pg_locks.
    const rows = await tx.execute(sql`SELECT 1 FROM pg_locks
      WHERE locktype = 'advisory' AND classid = ${OWNER_LOCK_CLASS}::int::oid AND objid = hashtext(${orgName})::oid
        AND objsubid = 2 AND pid = ${holder} AND granted`);
    if (rows.length === 0) throw new NotLeader("this exporter's session no longer holds the org's writer lock");
  };
}

/** Announces the org's new snapshot to the replicas listening; delivered when the transaction commits. */
export async function announceSnapshot(tx: PgTx, orgName: string): Promise<void> {
  await tx.execute(sql`SELECT pg_notify(${SNAPSHOT_CHANNEL}, ${orgTag(orgName)})`);
}

/** How long a new leader waits for a write of the previous one still in flight; then its takeover fails and is tried again at its next write. */
export const TAKEOVER_WAIT = "30s";

/** Waits until no write transaction of the org is in flight, and keeps new ones out until `tx` ends. */
export async function takeOverWrites(tx: PgTx, orgName: string): Promise<void> {
  await tx.execute(sql.raw(`SET LOCAL lock_timeout = '${TAKEOVER_WAIT}'`));
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${WRITE_FENCE_CLASS}::int, hashtext(${orgName}))`);
}
