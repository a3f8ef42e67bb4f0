import { bigint, doublePrecision, integer, pgTable, primaryKey, text, uniqueIndex } from "drizzle-orm/pg-core";

/**
 * The history database on PostgreSQL: the same tables, columns and meaning as the SQLite schema
 * (src/store/schema.ts, whose comments define each column), in PostgreSQL's types. Migrations in
 * migrations/postgres/ are generated from this file with `npm run db:generate`;
 * test/pg/migrations.test.ts fails when they drift apart. Several exporters (one per org) may share
 * one database: every row carries `org_name` or belongs to a series that does.
 *
 * Types, chosen once:
 * - times (unix seconds): bigint, read as a JS number (`mode: "number"`; seconds stay far below 2^53)
 *   — integer would end in 2038;
 * - durations in seconds (`covered`, `at_capacity`: at most an hour per rolled-up row) and the
 *   layout version: integer;
 * - values: double precision, as SQLite's REAL (8-byte IEEE) — never numeric, which would come back as strings;
 * - JSON (`body`, `labels`) and names: text, written and read as the exact string the SQLite store
 *   keeps — not jsonb, whose key order and number forms PostgreSQL rewrites, and which the drivers
 *   encode inconsistently;
 * - series ids: integer identity — 2^31 series is far beyond any org, and `samples`, the table that
 *   grows, repeats it in every row (4 bytes, not 8).
 *
 * SQLite's samples table is WITHOUT ROWID (stored in key order, the key kept once). PostgreSQL has
 * no equivalent that stays in place: a table is a heap beside its primary-key index, and CLUSTER
 * orders it once, not as rows arrive. Not needed: rows of one series arrive in `start` order and
 * reads go through the (series_id, start) index; the key's second copy costs ~12 bytes of a row
 * whose tuple header alone is 23.
 */

const seconds = (name: string) => bigint(name, { mode: "number" });

/** The last snapshot per org: what a restart serves before CLS answers again. */
export const snapshots = pgTable("snapshots", {
  orgName: text("org_name").primaryKey(),
  collectedAt: seconds("collected_at").notNull(),
  /** Version of the JSON layout in `body`; a restart ignores a layout it does not know. */
  format: integer("format").notNull(),
  body: text("body").notNull(),
});

/** One row per recorded series; `key` is its identity (ids only), `labels` its latest labels (names included). */
export const series = pgTable(
  "series",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    orgName: text("org_name").notNull(),
    kind: text("kind").notNull(),
    key: text("key").notNull(),
    labels: text("labels").notNull(),
  },
  (t) => [uniqueIndex("series_identity").on(t.orgName, t.kind, t.key)],
);

/** Run-length history, rolled up after HISTORY_RAW_RETENTION: see `samples` in src/store/schema.ts. */
export const samples = pgTable(
  "samples",
  {
    seriesId: integer("series_id").notNull(),
    start: seconds("start").notNull(),
    end: seconds("end"),
    last: doublePrecision("last").notNull(),
    capacity: doublePrecision("capacity"),
    min: doublePrecision("min"),
    max: doublePrecision("max"),
    area: doublePrecision("area"),
    covered: integer("covered"),
    atCapacity: integer("at_capacity"),
  },
  (t) => [primaryKey({ columns: [t.seriesId, t.start] })],
);

/** Per-org progress: `observed_until` (last recorded refresh), `rolled_until` (hour up to which history is rolled up). */
export const storeState = pgTable(
  "store_state",
  {
    orgName: text("org_name").notNull(),
    name: text("name").notNull(),
    value: seconds("value").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgName, t.name] })],
);
