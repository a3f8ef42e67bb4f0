import { expect, test } from "bun:test";
import postgres from "postgres";
import { StoreError } from "../../src/errors.ts";
import { createLogger } from "../../src/log.ts";
import { PgHistoryStore, type PgStoreOptions } from "../../src/store/pg/store.ts";
import { type HistoryQuery, QueryCancelled } from "../../src/store/query.ts";
import { HOUR } from "../../src/store/rollup.ts";
import { snapshotAt, T0 } from "../store/helpers.ts";
import { serverForFile } from "./server.ts";

const server = serverForFile();

const START = T0 + 5 * HOUR;
const all = (from: number, to: number): HistoryQuery => ({ kind: "active_leases", filter: {}, from, to, step: 60 });

function options(url: string, orgName: string, lines: string[] = []): PgStoreOptions {
  const log = createLogger({ write: (l) => lines.push(l) });
  return { url, orgName, maxGapS: 130, rawRetentionS: 86_400, retentionS: 400 * 86_400, now: () => (START + HOUR) * 1000, log };
}

async function exec(url: string, text: string): Promise<Record<string, unknown>[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return [...(await sql.unsafe(text))];
  } finally {
    await sql.end();
  }
}

test("a failed write is counted by reason and logged once without the password; the store keeps serving and recovers", async () => {
  const url = await server().createDatabase("fail_db");
  const lines: string[] = [];
  const secret = "pw-Never-Shown";
  await exec(url, `ALTER USER postgres PASSWORD '${secret}'`);
  const store = await PgHistoryStore.open(options(url.replace("postgres@", `postgres:${secret}@`), "org-a", lines));
  try {
    await store.record(snapshotAt(START, { "s1/vpc": 1 }));
    await exec(url, "ALTER TABLE samples RENAME TO samples_away");
    expect(await store.record(snapshotAt(START + 60, { "s1/vpc": 2 }))).toBe(false);
    expect(await store.record(snapshotAt(START + 90, { "s1/vpc": 3 }))).toBe(false);
    expect(store.stats.writeErrors.get("error")).toBe(2);
    expect(lines.filter((l) => l.includes("history not recorded")).length).toBe(1);
    expect(lines.join("")).not.toContain(secret);
    // The failed transaction left memory as the database is: the next write closes the right row.
    expect((await store.restore())?.serverFeatures[0]?.active).toBe(1);
    await exec(url, "ALTER TABLE samples_away RENAME TO samples");
    expect(await store.record(snapshotAt(START + 120, { "s1/vpc": 4 }))).toBe(true);
    expect(lines.join("")).toContain("history writes recovered");
    const answer = await store.query(all(START, START + 300));
    expect(answer.series[0]!.points.map((pt) => [pt.t, pt.last])).toEqual([
      [START, 1],
      [START + 60, 1],
      [START + 120, 4],
    ]);
  } finally {
    await store.close();
  }
}, 60_000);

test("a query whose signal aborted is cancelled; a database with a newer schema is refused at open", async () => {
  const url = await server().createDatabase("cancel_db");
  const store = await PgHistoryStore.open(options(url, "org-a"));
  await store.record(snapshotAt(START, { "s1/vpc": 1 }));
  await store.close();
  const signal = AbortSignal.abort("client gone");
  const reopened = await PgHistoryStore.open(options(url, "org-a"));
  await expect(reopened.query(all(START, START + 60), signal)).rejects.toBeInstanceOf(QueryCancelled);
  await reopened.close();
  await exec(url, "INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('a-future-migration', 9999999999999)");
  const err = await PgHistoryStore.open(options(url, "org-a")).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(StoreError);
  expect((err as StoreError).reason).toBe("newer_schema");
}, 60_000);
