import { expect, test } from "bun:test";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { migratePostgres } from "../../src/store/pg/migrate.ts";
import { samples, series, snapshots, storeState } from "../../src/store/pg/schema.ts";
import { serverForFile } from "./server.ts";

const server = serverForFile();

test("the schema's types round-trip through the driver: times and ids as numbers, values as doubles, JSON as the same text", async () => {
  const url = await server().createDatabase("types_db");
  await migratePostgres(url);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const db = drizzle({ client: sql });
    const after2038 = 4_102_444_800; // 2100-01-01
    const body = '{"b":1,"a":[1.50,2e3]}';
    await db.insert(snapshots).values({ orgName: "org", collectedAt: after2038, format: 3, body });
    const [{ id } = { id: 0 }] = await db
      .insert(series)
      .values({ orgName: "org", kind: "k", key: "x", labels: body })
      .returning({ id: series.id });
    await db
      .insert(samples)
      .values({ seriesId: id, start: after2038, end: after2038 + 60, last: 0.1 + 0.2, capacity: 16, covered: 60, atCapacity: 0 });
    await db.insert(storeState).values({ orgName: "org", name: "observed_until", value: after2038 });
    expect(await db.select().from(snapshots)).toEqual([{ orgName: "org", collectedAt: after2038, format: 3, body }]);
    expect(await db.select({ labels: series.labels }).from(series)).toEqual([{ labels: body }]);
    expect(await db.select().from(samples)).toEqual([
      {
        seriesId: id,
        start: after2038,
        end: after2038 + 60,
        last: 0.1 + 0.2,
        capacity: 16,
        min: null,
        max: null,
        area: null,
        covered: 60,
        atCapacity: 0,
      },
    ]);
    expect(await db.select({ value: storeState.value }).from(storeState)).toEqual([{ value: after2038 }]);
    // One series per (org, kind, key), as in SQLite.
    const duplicate = await db
      .insert(series)
      .values({ orgName: "org", kind: "k", key: "x", labels: "{}" })
      .then(
        () => undefined,
        (e: Error) => e.cause,
      );
    expect(duplicate).toMatchObject({ code: "23505", constraint_name: "series_identity" });
  } finally {
    await sql.end();
  }
}, 60_000);
