import { Database } from "bun:sqlite";
import { afterAll } from "bun:test";
import { join } from "node:path";
import postgres from "postgres";
import { createLogger } from "../../src/log.ts";
import type { Snapshot } from "../../src/snapshot/types.ts";
import { PgHistoryStore } from "../../src/store/pg/store.ts";
import type { Answer, HistoryQuery } from "../../src/store/query.ts";
import type { Report, ReportQuery } from "../../src/store/report.ts";
import { type HistoryOptions, HistoryStore } from "../../src/store/store.ts";
import { serverForFile } from "../pg/server.ts";
import { DAY, tempDir } from "./helpers.ts";

/**
 * One store of either engine, as the behavioural suite (engines.test.ts) drives it: every call
 * async, so the synchronous SQLite store and the asynchronous PostgreSQL one answer alike.
 */
export interface EngineStore {
  record(s: Snapshot): Promise<void>;
  restore(): Promise<Snapshot | undefined>;
  query(q: HistoryQuery): Promise<Answer>;
  report(q: ReportQuery, current: Snapshot | undefined): Promise<Report>;
  /** Roll-up and pruning at `nowS` (the store's clock moved there), step after step until none is pending. */
  maintain(nowS: number): Promise<void>;
  close(): Promise<void>;
  /** Closes this store and opens the org again on the same database (a restart), with `changed` settings. */
  reopen(changed?: Omit<StoreSettings, "clock">): Promise<EngineStore>;
  /** Every log line the store wrote, across reopens. */
  lines: string[];
}

export interface StoreSettings {
  maxGapS?: number;
  rawRetentionS?: number;
  retentionS?: number;
  /** The store's clock in ms since epoch; maintain() moves it. */
  clock?: { now: number };
}

/** A fresh, empty database of one engine: its own SQLite file, or its own PostgreSQL database. */
export interface EngineDatabase {
  open(orgName: string, settings?: StoreSettings): Promise<EngineStore>;
  /** Plain SQL on the database (written to read the same on both); integers come back as numbers. */
  sql(text: string): Promise<Record<string, unknown>[]>;
}

export interface Engine {
  name: "sqlite" | "postgresql";
  database(): Promise<EngineDatabase>;
}

type Opener = (o: HistoryOptions) => Promise<Omit<EngineStore, "reopen" | "lines">>;

function options(orgName: string, s: StoreSettings, lines: string[]): HistoryOptions & { clock: { now: number } } {
  const clock = s.clock ?? { now: 0 };
  return {
    orgName,
    maxGapS: s.maxGapS ?? 130,
    rawRetentionS: s.rawRetentionS ?? 8 * DAY,
    retentionS: s.retentionS ?? 400 * DAY,
    now: () => clock.now,
    log: createLogger({ write: (l) => lines.push(l) }),
    clock,
  };
}

/**
 * Wraps an engine's opener so that every store can be reopened with the same settings and log; a
 * store stays in `open` until closed, so a test that failed half-way leaves none behind.
 */
function opening(opener: Opener, stores: Set<() => Promise<void>>): EngineDatabase["open"] {
  const open = async (orgName: string, settings: StoreSettings = {}, lines: string[] = []): Promise<EngineStore> => {
    const o = options(orgName, settings, lines);
    const store = await opener(o);
    const close = async () => {
      stores.delete(close);
      await store.close();
    };
    stores.add(close);
    const reopen = async (changed: StoreSettings = {}) => {
      await close();
      return open(orgName, { ...settings, ...changed, clock: o.clock }, lines);
    };
    return {
      ...store,
      close,
      maintain: (nowS) => {
        o.clock.now = nowS * 1000;
        return store.maintain(nowS);
      },
      reopen,
      lines,
    };
  };
  return open;
}

function sqliteStore(path: string): Opener {
  return async (o) => {
    const store = new HistoryStore({ ...o, path });
    return {
      record: async (s) => store.record(s),
      restore: async () => store.restore(),
      query: (q) => store.query(q),
      report: (q, current) => store.report(q, current),
      maintain: async () => {
        while (store.maintain()) {}
      },
      close: async () => store.close(),
    };
  };
}

function pgStore(url: string): Opener {
  return async (o) => {
    const store = await PgHistoryStore.open({ ...o, url });
    return {
      record: async (s) => {
        await store.record(s);
      },
      restore: () => store.restore(),
      query: (q) => store.query(q),
      report: (q, current) => store.report(q, current),
      maintain: async (nowS) => {
        while (await store.maintain(nowS)) {}
      },
      close: () => store.close(),
    };
  };
}

async function pgSql(url: string, text: string): Promise<Record<string, unknown>[]> {
  // int8 (count(*), the bigint times) as numbers, as bun:sqlite gives them.
  const int8 = { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) };
  const sql = postgres(url, { max: 1, onnotice: () => {}, types: { int8 } });
  try {
    return [...(await sql.unsafe(text))];
  } finally {
    await sql.end();
  }
}

function sqliteSql(path: string, text: string): Record<string, unknown>[] {
  const db = new Database(path);
  try {
    return db.query(text).all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

/**
 * Both engines, each giving a fresh database per call: SQLite a file in a temporary folder (the
 * committed migrations), PostgreSQL a database on one real server for the test file (test/pg/server.ts).
 * Call once, at the top level of a test file: it registers the server's and the folder's hooks.
 */
export function engines(): Engine[] {
  const stores = new Set<() => Promise<void>>();
  // Registered before the server's hooks, so it runs before the server stops.
  afterAll(() => Promise.all([...stores].map((close) => close())));
  const server = serverForFile();
  const tmp = tempDir("cls-engines-");
  afterAll(tmp.cleanup);
  let n = 0;
  return [
    {
      name: "sqlite",
      database: async () => {
        const path = join(tmp.dir, `h${++n}.db`);
        return { open: opening(sqliteStore(path), stores), sql: async (text) => sqliteSql(path, text) };
      },
    },
    {
      name: "postgresql",
      database: async () => {
        const url = await server().createDatabase(`h${++n}`);
        return { open: opening(pgStore(url), stores), sql: (text) => pgSql(url, text) };
      },
    },
  ];
}

/** The rows of the org's server features (active_leases), their series numbered 1, 2, … in order of creation. */
export async function leaseRows(db: EngineDatabase, orgName: string) {
  const rows = await db.sql(
    `SELECT s.series_id AS sid, s.start, s."end", s.last, s.capacity FROM samples s JOIN series r ON r.id = s.series_id
     WHERE r.org_name = '${orgName}' AND r.kind = 'active_leases' ORDER BY s.series_id, s.start`,
  );
  const ids = [...new Set(rows.map((r) => r.sid))];
  return rows.map((r) => ({ id: ids.indexOf(r.sid) + 1, start: r.start, end: r.end, last: r.last, capacity: r.capacity }));
}
