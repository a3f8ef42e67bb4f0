import { and, eq, gte, isNotNull, lt, lte, min } from "drizzle-orm";
import { foldHour, HOUR, nextBatch, type RetentionOptions, rollTarget } from "../rollup.ts";
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

  private async ids(): Promise<number[]> {
    const rows = await this.db.select({ id: series.id }).from(series).where(eq(series.orgName, this.opts.orgName)).orderBy(series.id);
    return rows.map((r) => r.id);
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
    const { batch, done } = nextBatch(await this.ids(), this.cursor, this.opts.batch);
    await this.db.transaction(async (tx) => {
      await this.guard(tx);
      for (const id of batch) await rollSeries(tx, id, h);
      if (done) await setState(tx, this.opts.orgName, "rolled_until", h + HOUR);
    });
    this.cursor = done ? 0 : batch.at(-1)!;
  }

  /** Deletes rows that ended before `cutoff`, a batch of series at a time; false once a full pass is done. */
  private async prune(cutoff: number): Promise<boolean> {
    const { batch, done } = nextBatch(await this.ids(), this.pruneCursor ?? 0, this.opts.batch);
    await this.db.transaction(async (tx) => {
      await this.guard(tx);
      for (const id of batch) {
        await tx
          .delete(samples)
          .where(and(eq(samples.seriesId, id), lt(samples.start, cutoff), isNotNull(samples.end), lt(samples.end, cutoff)));
      }
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
