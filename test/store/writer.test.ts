import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { openDatabase } from "../../src/store/db.ts";
import { HistoryWriter } from "../../src/store/writer.ts";
import { ORG, snapshotAt, tempDir } from "./helpers.ts";

const tmp = tempDir();
afterAll(tmp.cleanup);
let n = 0;
const T = 1_800_000_000;
const GAP = 130;

function fresh() {
  const opened = openDatabase(join(tmp.dir, `w${++n}.db`));
  // The server features' rows, numbered 1, 2, … in order of creation: each snapshot also records
  // demand (feature_in_use), which follows them.
  const rows = () =>
    opened.sqlite
      .query(
        "SELECT (SELECT count(*) FROM series s WHERE s.kind = 'active_leases' AND s.id <= series_id) AS id, start, end, last, capacity FROM samples WHERE series_id IN (SELECT id FROM series WHERE kind = 'active_leases') ORDER BY series_id, start",
      )
      .all() as {
      id: number;
      start: number;
      end: number | null;
      last: number;
      capacity: number | null;
    }[];
  return { ...opened, rows, writer: new HistoryWriter(opened.db, ORG, GAP) };
}

describe("HistoryWriter", () => {
  test("a failed write changes nothing, in the file or in memory, and the next one succeeds", () => {
    const { sqlite, writer, rows } = fresh();
    writer.record(snapshotAt(T, { "s1/vpc": 1 }));
    sqlite.run("PRAGMA query_only = 1");
    expect(() => writer.record(snapshotAt(T + 60, { "s1/vpc": 2, "s2/vpc": 5 }))).toThrow(/readonly/);
    sqlite.run("PRAGMA query_only = 0");
    expect(rows()).toEqual([{ id: 1, start: T, end: null, last: 1, capacity: 10 }]);
    writer.record(snapshotAt(T + 120, { "s1/vpc": 2, "s2/vpc": 5 }));
    expect(rows().map((r) => [r.id, r.start, r.end, r.last])).toEqual([
      [1, T, T + 120, 1],
      [1, T + 120, null, 2],
      [2, T + 120, null, 5],
    ]);
  });

  test("the snapshot itself is stored, one row per org", () => {
    const { writer, sqlite } = fresh();
    writer.record(snapshotAt(T, { "s1/vpc": 1 }));
    writer.record(snapshotAt(T + 60, { "s1/vpc": 2 }));
    const stored = sqlite.query("SELECT org_name, collected_at, body FROM snapshots").all() as {
      org_name: string;
      collected_at: number;
      body: string;
    }[];
    expect(stored).toHaveLength(1);
    expect(stored[0]!.collected_at).toBe(T + 60);
    expect(JSON.parse(stored[0]!.body).serverFeatures[0].active).toBe(2);
  });
});
