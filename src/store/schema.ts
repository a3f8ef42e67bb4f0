import { integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * The history database. Times are unix seconds. Migrations in migrations/ are generated from this
 * file with `bun run db:generate`; test/store/migrations.test.ts fails when they drift apart.
 */

/** The last snapshot per org: what a restart serves before CLS answers again. */
export const snapshots = sqliteTable("snapshots", {
  orgName: text("org_name").primaryKey(),
  collectedAt: integer("collected_at").notNull(),
  /** Version of the JSON layout in `body`; a restart ignores a layout it does not know. */
  format: integer("format").notNull(),
  body: text("body").notNull(),
});

/** One row per recorded series; `key` is its identity (ids only), `labels` its latest labels (names included). */
export const series = sqliteTable(
  "series",
  {
    id: integer("id").primaryKey(),
    orgName: text("org_name").notNull(),
    kind: text("kind").notNull(),
    key: text("key").notNull(),
    labels: text("labels").notNull(),
  },
  (t) => [uniqueIndex("series_identity").on(t.orgName, t.kind, t.key)],
);

/**
 * Run-length history: a row says the series had the value `last` from `start` until `end` (the
 * refresh that saw it change, or the last one that saw it before a gap), so an unchanged value costs
 * no write at all. `end` is NULL while the row is open: the series still has that value as of the
 * org's `observed_until` (in store_state, moved by every recorded refresh).
 * Rows of one series never overlap. A rolled-up row (older than HISTORY_RAW_RETENTION) sums an hour
 * that held several values: `min`/`max` set, `area` = value × seconds, `covered` = seconds
 * observed and `at_capacity` = seconds with the value at or above its capacity (see atCapacity in
 * rollup.ts), so peaks and time at capacity stay exact after roll-up. For a raw row these are NULL
 * (min = max = last, covered = end − start, at_capacity follows from last and capacity), which
 * costs nothing on disk.
 * The migration adds WITHOUT ROWID by hand (drizzle-kit cannot express it): the table is then stored
 * in primary-key order with no second copy of the key, which is most of its size.
 */
export const samples = sqliteTable(
  "samples",
  {
    seriesId: integer("series_id").notNull(),
    start: integer("start").notNull(),
    end: integer("end"),
    last: real("last").notNull(),
    capacity: real("capacity"),
    min: real("min"),
    max: real("max"),
    area: real("area"),
    covered: integer("covered"),
    atCapacity: integer("at_capacity"),
  },
  (t) => [primaryKey({ columns: [t.seriesId, t.start] })],
);

/** Per-org progress: `observed_until` (last recorded refresh), `rolled_until` (hour up to which history is rolled up). */
export const storeState = sqliteTable(
  "store_state",
  {
    orgName: text("org_name").notNull(),
    name: text("name").notNull(),
    value: integer("value").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgName, t.name] })],
);
