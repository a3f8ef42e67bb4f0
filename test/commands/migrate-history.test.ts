/**
 * `bun run src/index.ts --migrate-history URL` as a user runs it: a real process with only DB_PATH
 * (and DATABASE_URL) set, against a real PostgreSQL server the tests start.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import postgres from "postgres";
import { MIGRATIONS_TABLE, migratePostgres } from "../../src/store/pg/migrate.ts";
import { claimPgOwner } from "../../src/store/pg/owner.ts";
import { type PgServer, startPgServer } from "../pg/server.ts";
import { DAY, T0, tempDir } from "../store/helpers.ts";
import { busyHistory, NOW_S, openPg, openSqlite, pgCount, pgRows, sqliteRows, twoOrgHistory } from "./migrate-fixture.ts";

const TIMEOUT = 120_000;
let server: PgServer;
const tmp = tempDir("cls-migrate-");
beforeAll(() => {
  server = startPgServer();
}, TIMEOUT);
afterAll(() => {
  server?.stop();
  tmp.cleanup();
}, 60_000);

const PASSWORD = "pw-Secret-42";
/** The server trusts 127.0.0.1, so a password in the URL is accepted and never needed: it must still never be printed. */
const withPassword = (url: string) => url.replace("postgres@", `postgres:${PASSWORD}@`);

interface Run {
  code: number | null;
  out: string;
  err: string;
}

function spawn(args: string[], vars: Record<string, string>) {
  return Bun.spawn([process.execPath, "run", "src/index.ts", "--migrate-history", ...args], {
    env: { PATH: process.env.PATH ?? "", ...vars },
    stdout: "pipe",
    stderr: "pipe",
  });
}

async function migrate(args: string[], vars: Record<string, string>): Promise<Run> {
  const p = spawn(args, vars);
  const [code, out, err] = await Promise.all([p.exited, new Response(p.stdout).text(), new Response(p.stderr).text()]);
  expect(out + err).not.toContain(PASSWORD);
  return { code, out, err };
}

describe("--migrate-history", () => {
  const path = join(tmp.dir, "two-orgs.db");
  let current: ReturnType<typeof twoOrgHistory>;
  let url: string;
  beforeAll(async () => {
    current = twoOrgHistory(path);
    url = withPassword(await server.createDatabase("two_orgs"));
  }, TIMEOUT);

  test(
    "copies both orgs: the same /history and /report answers from PostgreSQL, a summary line, no password",
    async () => {
      const run = await migrate([url], { DB_PATH: path });
      expect(run.code).toBe(0);
      const lines = run.out.trimEnd().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toStartWith(`history migrated to postgres://postgres@127.0.0.1:${server.port}/two_orgs: 2 orgs, `);
      expect(run.err).toContain("--migrate-history: org org-e: series 0/");
      const source = sqliteRows(path);
      expect(source.length).toBeGreaterThan(100);
      expect(await pgRows(url)).toEqual(source);
      expect(await pgCount(url, "SELECT count(*) AS n FROM samples WHERE min IS NOT NULL")).toBeGreaterThan(0);
      for (const org of ["org-r", "org-e"]) {
        const [sqlite, pg] = [openSqlite(path, org), await openPg(url, org)];
        try {
          for (const step of [60, 3600]) {
            for (const kind of ["active_leases", "feature_in_use"] as const) {
              const q = { kind, filter: {}, from: T0, to: NOW_S, step, fitStep: true };
              const want = await sqlite.query(q);
              expect(want.series.length).toBeGreaterThan(0);
              expect(await pg.query(q)).toEqual(want);
            }
          }
          const r = { from: T0, to: T0 + 10 * DAY, filter: {} };
          expect(await pg.report(r, current)).toEqual(await sqlite.report(r, current));
          expect(await pg.restore()).toEqual(await sqlite.restore());
        } finally {
          sqlite.close();
          await pg.close();
        }
      }
    },
    TIMEOUT,
  );

  test(
    "a second run, with the URL from DATABASE_URL, copies nothing",
    async () => {
      const before = await pgRows(url);
      const run = await migrate([], { DB_PATH: path, DATABASE_URL: url });
      expect(run.code).toBe(0);
      expect(run.out).toContain("(0 new), 0 rows copied");
      expect(await pgRows(url)).toEqual(before);
    },
    TIMEOUT,
  );

  test(
    "an org whose writer lock is held by an exporter is refused, named, exit 1",
    async () => {
      const lock = await claimPgOwner(url, "org-r");
      try {
        expect(lock.held()).toBe(true);
        const run = await migrate([url], { DB_PATH: path });
        expect(run.code).toBe(1);
        expect(run.err).toContain("org org-r: an exporter is writing its history in PostgreSQL right now");
      } finally {
        await lock.release();
      }
    },
    TIMEOUT,
  );

  test(
    "an org that an exporter already wrote in PostgreSQL is not merged into: exit 1, nothing copied",
    async () => {
      const target = withPassword(await server.createDatabase("exporter_wrote"));
      const [sqlite, pg] = [openSqlite(path, "org-e"), await openPg(target, "org-e")];
      await pg.record((await sqlite.restore())!);
      sqlite.close();
      await pg.close();
      const before = await pgCount(target, "SELECT count(*) AS n FROM samples");
      const run = await migrate([target], { DB_PATH: path });
      expect(run.code).toBe(1);
      expect(run.err).toContain("org org-e: PostgreSQL already holds history of this org that was not copied from SQLite");
      expect(await pgCount(target, "SELECT count(*) AS n FROM samples")).toBe(before);
    },
    TIMEOUT,
  );
});

test(
  "a PostgreSQL schema newer than this version's: exit 1 saying so, nothing copied",
  async () => {
    const source = join(tmp.dir, "for-newer.db");
    busyHistory(source, 3);
    const url = withPassword(await server.createDatabase("newer_schema"));
    await migratePostgres(url);
    await pgCount(url, `INSERT INTO ${MIGRATIONS_TABLE} (hash, created_at) VALUES ('a-future-migration', 9999999999999) RETURNING 1 AS n`);
    const run = await migrate([url], { DB_PATH: source });
    expect(run.code).toBe(1);
    expect(run.err).toContain("the database holds 1 migration(s) this version does not know");
    expect(await pgCount(url, "SELECT count(*) AS n FROM series")).toBe(0);
  },
  TIMEOUT,
);

test(
  "a run killed mid-way completes on the next run with exactly the source's rows",
  async () => {
    const path = join(tmp.dir, "big.db");
    busyHistory(path, 1_500);
    const url = withPassword(await server.createDatabase("killed"));
    const total = sqliteRows(path).length;
    const p = spawn([url], { DB_PATH: path });
    // Polled until the first batch has committed (before the run has created the tables, the count fails).
    let copied = 0;
    while (copied === 0) copied = await pgCount(url, "SELECT count(*) AS n FROM samples").catch(() => 0);
    // The copy held still (a share lock waits for the batch in flight and keeps the next one out), so
    // the kill lands mid-way however fast the run goes on a loaded machine.
    const blocker = postgres(url, { max: 1, onnotice: () => {} });
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked!: () => void;
    const holding = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const hold = blocker.begin(async (tx) => {
      await tx`LOCK TABLE samples IN SHARE MODE`;
      locked();
      await released;
    });
    await holding;
    p.kill("SIGKILL");
    await p.exited;
    release();
    await hold;
    await blocker.end();
    const afterKill = await pgCount(url, "SELECT count(*) AS n FROM samples");
    expect(afterKill).toBeGreaterThan(0);
    expect(afterKill).toBeLessThan(total);
    const run = await migrate([url], { DB_PATH: path });
    expect(run.code).toBe(0);
    expect(run.out).toContain(`${total - afterKill} rows copied`);
    expect(await pgRows(url)).toEqual(sqliteRows(path));
  },
  TIMEOUT,
);

test(
  "refused with exit 2: another scheme, no URL at all, no history at DB_PATH; an unreachable server exits 1 without the password",
  async () => {
    const path = join(tmp.dir, "none.db");
    const bad = await migrate([`mysql://root:${PASSWORD}@127.0.0.1/x`], { DB_PATH: path });
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("must start with postgres:// or postgresql://");
    const none = await migrate([], { DB_PATH: path });
    expect(none.code).toBe(2);
    expect(none.err).toContain("set DATABASE_URL");
    const missing = await migrate([withPassword(server.url("postgres"))], { DB_PATH: path });
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("there is no history database at DB_PATH");
    const source = join(tmp.dir, "small.db");
    busyHistory(source, 2);
    const down = await migrate([`postgresql://postgres:${PASSWORD}@127.0.0.1:1/x`], { DB_PATH: source });
    expect(down.code).toBe(1);
    expect(down.err).toContain("--migrate-history: failed: ");
  },
  TIMEOUT,
);
