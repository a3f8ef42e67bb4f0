import { Database } from "bun:sqlite";
import { createLogger } from "../../src/log.ts";
import { mulberry32, randInt } from "../../src/sim/random.ts";
import type { Snapshot } from "../../src/snapshot/types.ts";
import { encodeSnapshot, SNAPSHOT_FORMAT } from "../../src/store/codec.ts";
import { HistoryStore } from "../../src/store/index.ts";
import { type Observation, observe } from "../../src/store/observe.ts";
import { foldHour, HOUR, type HourRow, rollTarget } from "../../src/store/rollup.ts";
import { fleetSnapshot, retiredServer } from "./year-fleet.ts";

/**
 * A year of one org's history in a SQLite file, made in seconds instead of the 25 minutes of
 * writing 525,600 refreshes through the store (BENCHMARKS.md (e)). The file is the store's own (its
 * migrations applied by opening a HistoryStore on it), then filled in a few large transactions with
 * the rows the writer and roll-up leave behind (src/store/writer.ts, runs.ts, rollup.ts): run-length
 * rows on a 60 s refresh grid, one open row per series of the last snapshot, a 6-hour gap (the
 * exporter down) that splits every series' run, a capacity change, a server retired mid-year;
 * hours older than the raw retention folded by rollup.ts's own foldHour (rows wholly inside an hour,
 * two or more); store_state's observed_until and rolled_until; the snapshots row. Each series'
 * values are drawn on their own (the demand series do not add up their server features), which
 * the store never checks. Measured on this 2-core machine: 576 series (566 open, 10 retired),
 * 487,792 rows of which 79,476 hourly rolled-up, a 25 MB file in 0.5–0.75 s (the year of (e) is
 * 84 MB with 1.24 M rows: its churn is higher, and interleaved writes and roll-up's deletes leave
 * free space that these in-order inserts do not).
 */
export const YEAR_ORG = "year-org";
export const DAY = 86_400;
/** The last refresh, unix seconds (a minute edge), and the first, 365 days before. */
export const YEAR_END = 1_830_000_000 - (1_830_000_000 % 60);
export const YEAR_START = YEAR_END - 365 * DAY;
const GAP = { from: YEAR_START + 200 * DAY + 7 * HOUR, to: YEAR_START + 200 * DAY + 13 * HOUR };
const CAPACITY_CHANGE = YEAR_START + 150 * DAY;
const RETIRED_AT = YEAR_START + 100 * DAY;

/** The settings the fixture's rows follow (defaults of CACHE_TTL 60s, SCRAPE_TIMEOUT 20s, the retentions). */
export const yearStoreOptions = (nowS = YEAR_END) => ({
  orgName: YEAR_ORG,
  maxGapS: 161,
  rawRetentionS: 8 * DAY,
  retentionS: 400 * DAY,
  now: () => nowS * 1000,
  log: createLogger({ write: () => {} }),
});

export interface YearHistory {
  /** The snapshot stored as the org's last one. */
  last: Snapshot;
  series: number;
  rows: number;
}

type Row = HourRow;

/** Changes per day of a series by its position: a fifth 4 bursts of 1–4 changes, a fifth 4, a fifth 1, the rest idle. */
const changesPerDay = (i: number) => [4, 4, 1, 0, 0][i % 5]!;

/** The next value: any other in [0, bound] (the writer opens a row only when the value or capacity changes). */
function another(rng: () => number, prev: number, bound: number): number {
  const v = randInt(rng, 0, Math.max(bound, 1));
  return v === prev ? (v + 1) % (Math.max(bound, 1) + 1) : v;
}

/** The raw rows of one series from YEAR_START to `until` (null: to the last refresh, ending on `o.value` and left open). */
function rawRows(o: Observation, i: number, until: number | null): Row[] {
  const rng = mulberry32(1_000 + i);
  const capacity = o.capacity ?? null;
  const capBefore = capacity !== null && i % 3 === 0 ? Math.max(1, capacity - 2) : capacity;
  const bound = capacity ?? 10;
  const rows: Row[] = [];
  const open = (start: number, last: number, cap: number | null) =>
    rows.push({ start, end: null, last, capacity: cap, min: null, max: null, area: null, covered: null, atCapacity: null });
  const close = (end: number) => {
    rows.at(-1)!.end = end;
  };
  open(YEAR_START, perDayIdle(i) ? o.value : randInt(rng, 0, bound), capBefore);
  const events = [GAP.to, ...(capBefore !== capacity ? [CAPACITY_CHANGE] : [])];
  const meanS = changesPerDay(i) > 0 ? DAY / changesPerDay(i) : Number.POSITIVE_INFINITY;
  for (
    let t = YEAR_START + 60 * Math.ceil((-Math.log(1 - rng()) * meanS) / 60);
    t < YEAR_END;
    t += 60 * Math.ceil((-Math.log(1 - rng()) * meanS) / 60)
  )
    // Busy series change in bursts (a shift starting): a few changes minutes apart, which roll-up folds.
    for (let k = 0, n = i % 5 === 0 ? randInt(rng, 1, 4) : 1; k < n; k++)
      if (t + 120 * k <= GAP.from || t > GAP.to) events.push(t + 120 * k);
  // A change that falls on the gap's end or the capacity change is that event (one row, not two).
  const times = [...new Set(events)].sort((a, b) => a - b);
  const end = until ?? YEAR_END;
  for (const t of times) {
    if (t >= end) break;
    const cur = rows.at(-1)!;
    if (t === GAP.to) {
      close(GAP.from);
      open(t, cur.last, cur.capacity);
    } else if (t === CAPACITY_CHANGE) {
      close(t);
      open(t, cur.last, capacity);
    } else if (t !== cur.start) {
      close(t);
      open(t, another(rng, cur.last, bound), cur.capacity);
    }
  }
  if (until !== null) close(until);
  else endOn(rows, o.value);
  return rows;
}

const perDayIdle = (i: number) => changesPerDay(i) === 0;

/** The open row ends on the last snapshot's value; one that would repeat the row before it joins that row, as the writer would have. */
function endOn(rows: Row[], value: number): void {
  const last = rows.at(-1)!;
  last.last = value;
  const prev = rows.at(-2);
  if (prev && prev.end === last.start && prev.last === value && prev.capacity === last.capacity) {
    rows.pop();
    prev.end = null;
  }
}

/** What roll-up leaves of the rows: hours before `rolledUntil` with two or more closed rows wholly inside folded into one. */
export function rolledUp(rows: readonly Row[], rolledUntil: number): Row[] {
  const out: Row[] = [];
  let hour: Row[] = [];
  const flush = () => {
    const folded = foldHour(hour);
    out.push(...(folded ? [folded] : hour));
    hour = [];
  };
  for (const r of rows) {
    const h = Math.floor(r.start / HOUR) * HOUR;
    const inside = r.end !== null && r.end <= h + HOUR && h + HOUR <= rolledUntil;
    if (hour.length > 0 && (!inside || Math.floor(hour[0]!.start / HOUR) * HOUR !== h)) flush();
    if (inside) hour.push(r);
    else out.push(r);
  }
  flush();
  return out;
}

/** The org's series: those of the last snapshot, then the retired server's (closed at RETIRED_AT). */
function seriesOf(last: Snapshot): { o: Observation; until: number | null }[] {
  const retired = observe(retiredServer(RETIRED_AT, 7)).filter((o) => o.kind === "active_leases");
  return [...observe(last).map((o) => ({ o, until: null })), ...retired.map((o) => ({ o, until: RETIRED_AT }))];
}

/**
 * Writes the year at `path` (a new file), rolled up before `rolledUntil` (by default where the
 * store's roll-up would be at YEAR_END); null leaves every row raw and no rolled_until, as a store
 * that never ran its upkeep (to check rolledUp against the store's own roll-up).
 */
export function writeYearHistory(path: string, rolledUntil: number | null = rollTarget(YEAR_END, yearStoreOptions())): YearHistory {
  new HistoryStore({ ...yearStoreOptions(), path }).close();
  const last = fleetSnapshot(YEAR_END, 42);
  const db = new Database(path);
  db.run("PRAGMA busy_timeout = 5000");
  const addSeries = db.query("INSERT INTO series (org_name, kind, key, labels) VALUES (?, ?, ?, ?) RETURNING id");
  const addRow = db.query(
    "INSERT INTO samples (series_id, start, end, last, capacity, min, max, area, covered, at_capacity) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  );
  const all = seriesOf(last);
  let rows = 0;
  const chunk = (from: number) =>
    db.transaction(() => {
      for (const [j, { o, until }] of all.slice(from, from + 200).entries()) {
        const { id } = addSeries.get(YEAR_ORG, o.kind, o.key, JSON.stringify(o.labels)) as { id: number };
        const raw = rawRows(o, from + j, until);
        for (const r of rolledUntil === null ? raw : rolledUp(raw, rolledUntil)) {
          addRow.run(id, r.start, r.end, r.last, r.capacity, r.min, r.max, r.area, r.covered, r.atCapacity);
          rows++;
        }
      }
    })();
  for (let from = 0; from < all.length; from += 200) chunk(from);
  const state = db.query("INSERT INTO store_state (org_name, name, value) VALUES (?, ?, ?)");
  state.run(YEAR_ORG, "observed_until", YEAR_END);
  if (rolledUntil !== null) state.run(YEAR_ORG, "rolled_until", rolledUntil);
  db.query("INSERT INTO snapshots (org_name, collected_at, format, body) VALUES (?, ?, ?, ?)").run(
    YEAR_ORG,
    YEAR_END,
    SNAPSHOT_FORMAT,
    encodeSnapshot(last),
  );
  db.run("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();
  return { last, series: all.length, rows };
}
