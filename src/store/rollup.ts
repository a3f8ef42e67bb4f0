import { and, eq, gte, isNotNull, lt, lte, min, sql } from "drizzle-orm";
import { type StoredRow, secondsAtCapacity } from "./buckets.ts";
import type { Db } from "./db.ts";
import { samples, series } from "./schema.ts";
import { OrgState } from "./state.ts";

export const HOUR = 3_600;

export interface RetentionOptions {
  orgName: string;
  rawRetentionS: number;
  retentionS: number;
  /** A row younger than this may still be joined by the next refresh, so it is never rolled up. */
  maxGapS: number;
  /** Series handled per transaction: bounds how long one step holds the event loop. */
  batch: number;
}

const p = sql.placeholder;

/** Hours before this may be rolled up at `nowS`: older than the raw retention and than any row the next refresh may join. */
export const rollTarget = (nowS: number, o: Pick<RetentionOptions, "rawRetentionS" | "maxGapS">) =>
  Math.floor((nowS - Math.max(o.rawRetentionS, o.maxGapS + HOUR)) / HOUR) * HOUR;

/** The next batch of series ids after `cursor` (ids ascending), and whether it ends the pass. */
export function nextBatch(ids: readonly number[], cursor: number, size: number): { batch: number[]; done: boolean } {
  const batch = ids.filter((id) => id > cursor).slice(0, size);
  return { batch, done: batch.length < size || batch.at(-1) === ids.at(-1) };
}

/** A stored row as roll-up reads and writes it: as the table holds it (`end` NULL while open, `at_capacity` a column). */
export type HourRow = Omit<StoredRow, "end" | "open" | "atCapacity"> & { end: number | null; atCapacity: number | null };

/** The one row that replaces the closed rows lying wholly inside one hour (start order), or undefined when fewer than two do. */
export function foldHour(rows: readonly HourRow[]): HourRow | undefined {
  if (rows.length < 2) return undefined;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  let area = 0;
  let covered = 0;
  let atCapacity = 0;
  for (const r of rows) {
    const len = r.covered ?? r.end! - r.start;
    atCapacity += secondsAtCapacity(r, len);
    lo = Math.min(lo, r.min ?? r.last);
    hi = Math.max(hi, r.max ?? r.last);
    area += r.area ?? r.last * len;
    covered += len;
  }
  const last = rows.at(-1)!;
  return { start: rows[0]!.start, end: last.end, last: last.last, capacity: last.capacity, min: lo, max: hi, area, covered, atCapacity };
}

function prepare(db: Db) {
  const inHour = and(
    eq(samples.seriesId, p("id")),
    gte(samples.start, p("h")),
    lt(samples.start, p("hEnd")),
    isNotNull(samples.end),
    lte(samples.end, p("hEnd")),
  );
  return {
    rowsInHour: db.select().from(samples).where(inHour).orderBy(samples.start).prepare(),
    deleteInHour: db.delete(samples).where(inHour).prepare(),
    insert: db
      .insert(samples)
      .values({
        seriesId: p("id"),
        start: p("start"),
        end: p("end"),
        last: p("last"),
        capacity: p("capacity"),
        min: p("min"),
        max: p("max"),
        area: p("area"),
        covered: p("covered"),
        atCapacity: p("atCapacity"),
      })
      .prepare(),
    prune: db
      .delete(samples)
      .where(and(eq(samples.seriesId, p("id")), lt(samples.start, p("cutoff")), isNotNull(samples.end), lt(samples.end, p("cutoff"))))
      .prepare(),
  };
}

/**
 * Background upkeep of one org's history, in small steps: rows older than the raw retention are
 * rolled up (the rows lying wholly inside one hour become one row with min/max/area/covered and the
 * seconds at capacity), rows
 * older than the retention are deleted. Rows that cross an hour edge stay as they are: they are
 * constant, so queries can split them exactly. Each step is one transaction and idempotent.
 */
export class Retention {
  private readonly stmts: ReturnType<typeof prepare>;
  private readonly state: OrgState;
  private cursor = 0;
  private pruneCursor: number | undefined;

  constructor(
    private readonly db: Db,
    private readonly opts: RetentionOptions,
  ) {
    this.stmts = prepare(db);
    this.state = new OrgState(db, opts.orgName);
  }

  /** Hours before this are rolled up (unix seconds, on an hour edge), or undefined when none are. */
  rolledUntil(): number | undefined {
    return this.state.get("rolled_until");
  }

  /** Does one bounded piece of work at time `nowS`; true when more is pending. */
  step(nowS: number): boolean {
    const target = rollTarget(nowS, this.opts);
    const rolled = this.rolledUntil() ?? this.firstHour(target);
    if (rolled < target) {
      this.rollHour(rolled);
      return true;
    }
    return this.prune(nowS - this.opts.retentionS);
  }

  private ids(): number[] {
    return this.db
      .select({ id: series.id })
      .from(series)
      .where(eq(series.orgName, this.opts.orgName))
      .orderBy(series.id)
      .all()
      .map((r) => r.id);
  }

  /** Where roll-up starts: the hour of the oldest row. Stored at once, so the scan for it runs once. */
  private firstHour(target: number): number {
    const first = this.db
      .select({ start: min(samples.start) })
      .from(samples)
      .innerJoin(series, eq(series.id, samples.seriesId))
      .where(eq(series.orgName, this.opts.orgName))
      .get()?.start;
    const hour = first === null || first === undefined ? target : Math.min(target, Math.floor(first / HOUR) * HOUR);
    this.state.set("rolled_until", hour);
    return hour;
  }

  /** Rolls up hour `h` for the next batch of series; moves rolled_until past it after the last batch. */
  private rollHour(h: number): void {
    const { batch, done } = nextBatch(this.ids(), this.cursor, this.opts.batch);
    this.db.transaction(() => {
      for (const id of batch) this.rollSeries(id, h);
      if (done) this.state.set("rolled_until", h + HOUR);
    });
    this.cursor = done ? 0 : batch.at(-1)!;
  }

  private rollSeries(id: number, h: number): void {
    const where = { id, h, hEnd: h + HOUR };
    const folded = foldHour(this.stmts.rowsInHour.all(where));
    if (!folded) return;
    this.stmts.deleteInHour.run(where);
    this.stmts.insert.run({ id, ...folded });
  }

  /** Deletes rows that ended before `cutoff`, a batch of series at a time; false once a full pass is done. */
  private prune(cutoff: number): boolean {
    const { batch, done } = nextBatch(this.ids(), this.pruneCursor ?? 0, this.opts.batch);
    this.db.transaction(() => {
      for (const id of batch) this.stmts.prune.run({ id, cutoff });
    });
    this.pruneCursor = done ? undefined : batch.at(-1);
    return !done;
  }
}
