import { and, eq, gt, gte, inArray, isNotNull, lt, lte, min, sql } from "drizzle-orm";
import { foldHour, HOUR, type RetentionOptions, rollTarget } from "../rollup.ts";
import { getState, type PgDb, type PgExec, setState } from "./db.ts";
import type { WriteGuard } from "./fence.ts";
import { samples, series } from "./schema.ts";

const inHour = (id: number, h: number) =>
  and(eq(samples.seriesId, id), gte(samples.start, h), lt(samples.start, h + HOUR), isNotNull(samples.end), lte(samples.end, h + HOUR));

/**
 * Roll-up and pruning of one org's history in PostgreSQL, step by step as Retention (SQLite) does
 * it (foldHour, rollTarget, nextBatch in src/store/rollup.ts): a step handles one hour (or one
 * pruning batch) for at most `batch` series in one transaction, and is idempotent. Steps must not
 * overlap (the store queues them with writes).
 */
export class PgRetention {
  private cursor = 0;
  private pruneCursor: number | undefined;

  constructor(
    private readonly db: PgDb,
    private readonly opts: RetentionOptions,
    /** Runs first in each transaction (the leader's fence); a rejection rolls the step back. */
    private readonly guard: WriteGuard = async () => {},
  ) {}

  /** Does one bounded piece of work at time `nowS`; true when more is pending. */
  async step(nowS: number): Promise<boolean> {
    const target = rollTarget(nowS, this.opts);
    const rolled = (await getState(this.db, this.opts.orgName, "rolled_until")) ?? (await this.firstHour(target));
    if (rolled < target) {
      await this.rollHour(rolled);
      return true;
    }
    return this.prune(nowS - this.opts.retentionS);
  }

  /**
   * The next batch of series ids after `cursor` (ascending; as nextBatch in src/store/rollup.ts)
   * and whether it ends the pass. Reads the batch and one id more, not every id of the org: a pass
   * over the memory gate's org (8,100 recorded series) would otherwise read 8,100 ids at each of its 41 steps.
   */
  private async nextBatch(cursor: number): Promise<{ batch: number[]; done: boolean }> {
    const rows = await this.db
      .select({ id: series.id })
      .from(series)
      .where(and(eq(series.orgName, this.opts.orgName), gt(series.id, cursor)))
      .orderBy(series.id)
      .limit(this.opts.batch + 1);
    const ids = rows.map((r) => r.id);
    return { batch: ids.slice(0, this.opts.batch), done: ids.length <= this.opts.batch };
  }

  /** Whether a series of the org has a row that started before `cutoff` (what pruning may delete is among those). */
  private async startedBefore(cutoff: number): Promise<boolean> {
    // LATERAL … LIMIT 1: an index probe per series, never a scan of the whole samples table.
    const rows = await this.db.execute(sql`SELECT 1 FROM series s
      CROSS JOIN LATERAL (SELECT 1 FROM samples WHERE samples.series_id = s.id AND samples.start < ${cutoff} LIMIT 1) old
      WHERE s.org_name = ${this.opts.orgName}
      LIMIT 1`);
    return rows.length > 0;
  }

  /** Where roll-up starts: the hour of the oldest row. Stored at once, so the scan for it runs once. */
  private async firstHour(target: number): Promise<number> {
    const [row] = await this.db
      .select({ start: min(samples.start) })
      .from(samples)
      .innerJoin(series, eq(series.id, samples.seriesId))
      .where(eq(series.orgName, this.opts.orgName));
    const first = row?.start;
    const hour = first === null || first === undefined ? target : Math.min(target, Math.floor(Number(first) / HOUR) * HOUR);
    await setState(this.db, this.opts.orgName, "rolled_until", hour);
    return hour;
  }

  /** Rolls up hour `h` for the next batch of series; moves rolled_until past it after the last batch. */
  private async rollHour(h: number): Promise<void> {
    const { batch, done } = await this.nextBatch(this.cursor);
    await this.db.transaction(async (tx) => {
      await this.guard(tx);
      for (const id of batch) await rollSeries(tx, id, h);
      if (done) await setState(tx, this.opts.orgName, "rolled_until", h + HOUR);
    });
    this.cursor = done ? 0 : batch.at(-1)!;
  }

  /** Deletes rows that ended before `cutoff`, a batch of series at a time; false once a full pass is done. */
  private async prune(cutoff: number): Promise<boolean> {
    // A pass over every series (41 steps at 8,100) runs every few minutes; it begins only when some
    // series has a row that started before the cutoff (one index probe per series), else it has none.
    if (this.pruneCursor === undefined && !(await this.startedBefore(cutoff))) return false;
    const { batch, done } = await this.nextBatch(this.pruneCursor ?? 0);
    await this.db.transaction(async (tx) => {
      await this.guard(tx);
      if (batch.length === 0) return;
      // One statement for the batch: its series' old rows, found through the (series_id, start) key.
      await tx
        .delete(samples)
        .where(and(inArray(samples.seriesId, batch), lt(samples.start, cutoff), isNotNull(samples.end), lt(samples.end, cutoff)));
    });
    this.pruneCursor = done ? undefined : batch.at(-1);
    return !done;
  }
}

async function rollSeries(tx: PgExec, id: number, h: number): Promise<void> {
  const rows = await tx.select().from(samples).where(inHour(id, h)).orderBy(samples.start);
  const folded = foldHour(rows);
  if (!folded) return;
  await tx.delete(samples).where(inHour(id, h));
  await tx.insert(samples).values({ seriesId: id, ...folded });
}
