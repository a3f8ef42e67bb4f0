import { expect, test } from "bun:test";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { StoreError } from "../../src/errors.ts";
import { APPLICATION_TABLE, MIGRATIONS_TABLE, migratePostgres } from "../../src/store/pg/migrate.ts";
import { tempDir } from "../store/helpers.ts";
import { serverForFile } from "./server.ts";

const ROOT = join(import.meta.dir, "..", "..");
const TABLES = [APPLICATION_TABLE, MIGRATIONS_TABLE, "samples", "series", "snapshots", "store_state"].sort();
const KNOWN = (JSON.parse(readFileSync(join(ROOT, "migrations", "postgres", "meta", "_journal.json"), "utf8")).entries as unknown[]).length;

const server = serverForFile();

async function query<T>(url: string, text: string): Promise<T[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return (await sql.unsafe(text)) as unknown as T[];
  } finally {
    await sql.end();
  }
}

const tablesOf = async (url: string) =>
  (await query<{ t: string }>(url, "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1")).map(
    (r) => r.t,
  );

async function failure(p: Promise<unknown>): Promise<StoreError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreError);
  return err as StoreError;
}

test("an empty database is marked and migrated to the latest schema; a second run finds it current", async () => {
  const url = await server().createDatabase("empty_db");
  expect(await migratePostgres(url)).toEqual({ state: "migrated", from: 0, to: KNOWN });
  expect(await tablesOf(url)).toEqual(TABLES);
  expect(await migratePostgres(url)).toEqual({ state: "current", version: KNOWN });
  expect(await query(url, `SELECT count(*)::int AS n FROM ${MIGRATIONS_TABLE}`)).toEqual([{ n: KNOWN }]);
  // Nothing in drizzle's default "drizzle" schema, which another application may use.
  expect(await query(url, "SELECT count(*)::int AS n FROM information_schema.schemata WHERE schema_name = 'drizzle'")).toEqual([{ n: 0 }]);
}, 60_000);

test("three replicas migrating at once: exactly one applies the migrations, all end current, none fails", async () => {
  const url = await server().createDatabase("race_db");
  const states = await Promise.all([migratePostgres(url), migratePostgres(url), migratePostgres(url)]);
  expect(states.filter((s) => s.state === "migrated")).toEqual([{ state: "migrated", from: 0, to: KNOWN }]);
  expect(states.filter((s) => s.state === "current")).toEqual([
    { state: "current", version: KNOWN },
    { state: "current", version: KNOWN },
  ]);
  expect(await query(url, `SELECT count(*)::int AS n FROM ${MIGRATIONS_TABLE}`)).toEqual([{ n: KNOWN }]);
  expect(await query(url, `SELECT count(*)::int AS n FROM ${APPLICATION_TABLE}`)).toEqual([{ n: 1 }]);
}, 60_000);

test("a database one version ahead of the migrations folder is migrated from N to N+1", async () => {
  const url = await server().createDatabase("upgrade_db");
  await migratePostgres(url);
  const tmp = tempDir("cls-pg-migrations-");
  try {
    const folder = join(tmp.dir, "postgres");
    cpSync(join(ROOT, "migrations", "postgres"), folder, { recursive: true });
    const journalPath = join(folder, "meta", "_journal.json");
    const journal = JSON.parse(readFileSync(journalPath, "utf8"));
    const last = journal.entries.at(-1);
    journal.entries.push({ ...last, idx: last.idx + 1, when: last.when + 1000, tag: "9999_extra" });
    writeFileSync(journalPath, JSON.stringify(journal));
    writeFileSync(join(folder, "9999_extra.sql"), `ALTER TABLE "snapshots" ADD COLUMN "extra" integer;`);
    expect(await migratePostgres(url, { migrationsFolder: folder })).toEqual({ state: "migrated", from: KNOWN, to: KNOWN + 1 });
    // The older version now finds a newer schema and leaves it alone.
    expect(await migratePostgres(url)).toEqual({ state: "newer", version: KNOWN + 1, unknown: 1 });
  } finally {
    tmp.cleanup();
  }
}, 60_000);

test("a database holding a migration this version does not know is reported newer and left unchanged", async () => {
  const url = await server().createDatabase("newer_db");
  await migratePostgres(url);
  await query(url, `INSERT INTO ${MIGRATIONS_TABLE} (hash, created_at) VALUES ('a-future-migration', 9999999999999)`);
  await query(url, "CREATE TABLE future_table (id int)");
  const before = await tablesOf(url);
  expect(await migratePostgres(url)).toEqual({ state: "newer", version: KNOWN + 1, unknown: 1 });
  expect(await tablesOf(url)).toEqual(before);
  expect(await query(url, `SELECT count(*)::int AS n FROM ${MIGRATIONS_TABLE}`)).toEqual([{ n: KNOWN + 1 }]);
}, 60_000);

test("another application's database is refused, naming its tables, and nothing is created in it", async () => {
  const url = await server().createDatabase("foreign_db");
  await query(url, "CREATE TABLE users (id int); CREATE TABLE orders (id int)");
  const err = await failure(migratePostgres(url));
  expect(err.reason).toBe("foreign");
  expect(err.message).toContain("another application");
  expect(err.message).toContain("orders, users");
  expect(await tablesOf(url)).toEqual(["orders", "users"]);
}, 60_000);

test("a marker table naming another application is refused too", async () => {
  const url = await server().createDatabase("marker_db");
  await query(url, `CREATE TABLE ${APPLICATION_TABLE} (name text PRIMARY KEY); INSERT INTO ${APPLICATION_TABLE} VALUES ('something-else')`);
  expect((await failure(migratePostgres(url))).reason).toBe("foreign");
}, 60_000);

test("the URL's password never appears in an error, whatever failed", async () => {
  const password = "Sup3r-s3cret%2Fpw";
  const withPassword = (u: string) => u.replace("postgres@", `postgres:${password}@`);
  const foreignUrl = await server().createDatabase("secret_db");
  await query(foreignUrl, "CREATE TABLE someone_elses (id int)");
  const closed = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const closedPort = closed.port;
  closed.stop(true);
  const urls = [
    withPassword(foreignUrl), // refused: another application's
    withPassword(server().url("no_such_db")), // the server says no such database
    `postgres://postgres:${password}@127.0.0.1:${closedPort}/x`, // nothing listens
    `postgres://postgres@127.0.0.1:${server().port}/x?password=${password}`, // the password as a parameter
  ];
  for (const url of urls) {
    const err = await failure(migratePostgres(url));
    for (const secret of [password, decodeURIComponent(password)]) {
      expect(err.message).not.toContain(secret);
      expect(String(err.stack)).not.toContain(secret);
    }
    expect(err.message).toContain("127.0.0.1");
  }
}, 120_000);
