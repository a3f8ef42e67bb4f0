import postgres from "postgres";
import { CONNECT_TIMEOUT_S } from "./migrate.ts";
import { OWNER_LOCK_CLASS } from "./owner.ts";

/**
 * The server's TCP keepalives on the session that holds an org's lock (set by this exporter as
 * session parameters, so no server configuration is needed): when the leader's host goes silent
 * (power loss, a network cut, no FIN or RST ever sent), the server ends the session, which frees
 * the lock, after idle + interval × count seconds. A leader process that dies on a live host needs
 * none of it: its kernel closes the socket and the lock is free at once.
 */
export const LOCK_KEEPALIVE = { idleS: 4, intervalS: 2, count: 3 } as const;
/** The same bound for data the server sent and the leader's host never acknowledged (PostgreSQL 12+). */
const USER_TIMEOUT_MS = 10_000;

/** LOCK_KEEPALIVE as the session parameters that set it; the history pool's sessions carry them too (src/store/pg/db.ts). */
export const SERVER_KEEPALIVES = {
  tcp_keepalives_idle: LOCK_KEEPALIVE.idleS,
  tcp_keepalives_interval: LOCK_KEEPALIVE.intervalS,
  tcp_keepalives_count: LOCK_KEEPALIVE.count,
  tcp_user_timeout: USER_TIMEOUT_MS,
} as const;
/** Client side: how long a statement on the session may take before the session is given up (a leader then stops writing). */
export const HEARTBEAT_TIMEOUT_MS = 5_000;

/** One database session of an exporter for its org's election: the lock lives and dies with it. */
export interface LockSession {
  /** The server process of this session: the pid pg_locks shows for the lock (the write fence). */
  readonly pid: number;
  /** Whether the connection is gone (then the lock, if held, is freed by the server). */
  lost(): boolean;
  /** Tries the org's lock once, without waiting. */
  tryLock(): Promise<boolean>;
  /** Resolves when the session answered within HEARTBEAT_TIMEOUT_MS; rejects otherwise. */
  heartbeat(): Promise<void>;
  /** `query`, or a rejection when it takes longer than HEARTBEAT_TIMEOUT_MS (a session that hangs is as good as lost). */
  answered<T>(query: PromiseLike<T>): Promise<T>;
  /** Runs a read on this session (the leader's stored snapshot). */
  readonly sql: postgres.Sql;
  /** Ends the session: the server frees its lock. */
  end(): Promise<void>;
}

/** Opens a session; rejects when the database cannot be reached. */
export async function openLockSession(url: string, orgName: string, onLost: () => void): Promise<LockSession> {
  let lost = false;
  // Never recycled or closed when idle: closing the session frees the lock.
  const sql = postgres(url, {
    max: 1,
    idle_timeout: 0,
    max_lifetime: null,
    connect_timeout: CONNECT_TIMEOUT_S,
    keep_alive: LOCK_KEEPALIVE.idleS,
    onnotice: () => {},
    onclose: () => {
      if (lost) return;
      lost = true;
      onLost();
    },
    connection: { application_name: "nvidia-cls-exporter election", ...SERVER_KEEPALIVES },
  });
  let pid: number;
  try {
    const [row] = await sql<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
    pid = row!.pid;
  } catch (err) {
    lost = true;
    await sql.end({ timeout: 0 }).catch(() => {});
    throw err;
  }
  const answered = async <T>(query: PromiseLike<T>): Promise<T> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${HEARTBEAT_TIMEOUT_MS} ms`)), HEARTBEAT_TIMEOUT_MS);
    });
    try {
      return await Promise.race([query, late]);
    } finally {
      clearTimeout(timer);
    }
  };
  const end = async () => {
    lost = true;
    await sql.end({ timeout: 1 }).catch(() => {});
  };
  return {
    pid,
    sql,
    lost: () => lost,
    tryLock: async () => {
      const [row] = await answered(
        sql<{ held: boolean }[]>`SELECT pg_try_advisory_lock(${OWNER_LOCK_CLASS}::int, hashtext(${orgName})) AS held`,
      );
      return row?.held === true;
    },
    heartbeat: async () => {
      await answered(sql`SELECT 1`);
    },
    answered,
    end,
  };
}
