import { and, eq, sql } from "drizzle-orm";
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import type { StateName } from "../state.ts";
import { SERVER_KEEPALIVES } from "./lock-session.ts";
import { CONNECT_TIMEOUT_S } from "./migrate.ts";
import * as schema from "./schema.ts";
import { storeState } from "./schema.ts";

export type PgDb = PostgresJsDatabase<typeof schema>;
/** A transaction: the same query builder, its statements on one connection. */
export type PgTx = Parameters<Parameters<PgDb["transaction"]>[0]>[0];
/** Where a statement may run: the pool or an open transaction. */
export type PgExec = PgDb | PgTx;

/**
 * Connections one store keeps: a write (one transaction at a time) and a read or two beside it.
 * A documented constant, not a setting: the store never runs more statements at once than this.
 */
export const POOL_SIZE = 3;

/**
 * A transaction of this pool left idle by its client (a leader's host gone mid-write) is ended by
 * the server after this long, with the locks it holds (the per-org write lock a new leader waits
 * for). The store's transactions never pause between statements.
 */
export const IDLE_IN_TRANSACTION_MS = 60_000;

/**
 * A pool on `url` and the query builder over it; `end()` closes every connection. Its sessions carry
 * the server keepalives of the lock's session, so a silent host's session ends in bounded time too.
 */
export function connect(url: string): { db: PgDb; end: () => Promise<void> } {
  const client = postgres(url, {
    max: POOL_SIZE,
    connect_timeout: CONNECT_TIMEOUT_S,
    onnotice: () => {},
    connection: {
      application_name: "nvidia-cls-exporter history",
      idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
      ...SERVER_KEEPALIVES,
    },
  });
  return { db: drizzle({ client, schema }), end: () => client.end({ timeout: 5 }) };
}

/** One org's progress marker (see store_state in src/store/schema.ts), or undefined when never set. */
export async function getState(db: PgExec, orgName: string, name: StateName): Promise<number | undefined> {
  const [row] = await db
    .select({ value: storeState.value })
    .from(storeState)
    .where(and(eq(storeState.orgName, orgName), eq(storeState.name, name)));
  return row?.value;
}

export async function setState(db: PgExec, orgName: string, name: StateName, value: number): Promise<void> {
  await db
    .insert(storeState)
    .values({ orgName, name, value })
    .onConflictDoUpdate({ target: [storeState.orgName, storeState.name], set: { value: sql`excluded.value` } });
}
