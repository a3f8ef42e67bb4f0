/**
 * Failover of two replicas on one PostgreSQL database: each round kill -9 of the leader, then
 * (a) kill → the follower's "this exporter leads its org" line, and (b) kill → the first snapshot
 * the new leader writes (the snapshots row's collected_at moves past the last one, to a second no
 * earlier than the kill); then the killed one is started again and follows.
 */
import { storedAt } from "../../test/integration/replica-helpers.ts";
import { killHard, LEADS, type Replica, type ReplicaTarget, startReplica } from "./replica.ts";

export interface FailoverRound {
  /** kill → the follower logs that it leads (ms). */
  leadsMs: number;
  /** kill → its first snapshot is in the database (ms). */
  writesMs: number;
}

/** How often the snapshots row is read while waiting for the new leader's write: (b)'s resolution. */
const POLL_MS = 50;

/** Resolves (performance.now()) once a snapshot collected at or after `killedAtS` and after `before` is stored. */
async function firstWrite(dbUrl: string, before: number, killedAtS: number, timeoutMs: number): Promise<number> {
  const until = performance.now() + timeoutMs;
  while (performance.now() < until) {
    const at = await storedAt(dbUrl);
    if (at > before && at >= killedAtS) return performance.now();
    await Bun.sleep(POLL_MS);
  }
  throw new Error(`no snapshot written by a new leader within ${timeoutMs / 1000} s`);
}

/** One kill of `leader`; the follower must take over. */
async function round(target: ReplicaTarget, leader: Replica, follower: Replica, timeoutMs: number): Promise<FailoverRound> {
  const leads = follower.clock.next(LEADS, timeoutMs);
  const before = await storedAt(target.dbUrl);
  const killedAtS = Math.floor(Date.now() / 1000);
  const killedAt = performance.now();
  const writes = firstWrite(target.dbUrl, before, killedAtS, timeoutMs);
  await killHard(leader);
  const [ledAt, wroteAt] = await Promise.all([leads, writes]);
  return { leadsMs: ledAt - killedAt, writesMs: wroteAt - killedAt };
}

export interface FailoverOptions {
  kills: number;
  cacheTtlMs: number;
  progress: (msg: string) => void;
}

/**
 * `kills` rounds on a pair of replicas. Between rounds the pair settles (the restarted one
 * follows), then waits a share of CACHE_TTL that grows with the round, so the kills fall at
 * different points of the new leader's refresh cycle rather than always at the same one.
 */
export async function failoverRounds(target: ReplicaTarget, opts: FailoverOptions): Promise<FailoverRound[]> {
  const timeoutMs = 3 * opts.cacheTtlMs + 30_000;
  let leader = await startReplica(target, "leader");
  let follower = await startReplica(target, "follower");
  const rounds: FailoverRound[] = [];
  try {
    for (let i = 0; i < opts.kills; i++) {
      await Bun.sleep(1_000 + Math.round((opts.cacheTtlMs * i) / opts.kills));
      const r = await round(target, leader, follower, timeoutMs);
      rounds.push(r);
      opts.progress(`kill ${i + 1}/${opts.kills}: leads after ${r.leadsMs.toFixed(0)} ms, writes after ${r.writesMs.toFixed(0)} ms`);
      leader = follower;
      follower = await startReplica(target, "follower");
    }
  } finally {
    for (const r of [leader, follower]) r.exporter.child.kill();
    await Promise.all([leader.exporter.child.exited, follower.exporter.child.exited]);
  }
  return rounds;
}
