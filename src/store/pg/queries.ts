import { StoreError } from "../../errors.ts";
import { eachSeries, type ReadControl, stepFor } from "../answer.ts";
import type { QueryEngine } from "../queries.ts";
import { type Answer, HistoryBusy, type HistoryQuery, type SeriesResult } from "../query.ts";
import type { MatchedSeries, PgHistoryReader } from "./reader.ts";
import { readPgReport } from "./report.ts";

export interface PgEngineOptions {
  /** False once the store is closed: nothing more is read. */
  stillOpen: () => boolean;
  error: (err: unknown, what: string) => StoreError;
  /** HISTORY_MAX_WAITING of each lane. */
  maxWaiting: number;
}

/**
 * The PostgreSQL store's queries for HistoryQueries. Planning reads the matched series (a statement
 * on the pool) before the query takes its lane, so plans under way are bounded too: at most as many
 * as both lanes hold (2 × (maxWaiting + 1)); one more is refused HistoryBusy("planning"), counted and
 * logged as a full lane is. A report reads its series in its lane.
 */
export function pgQueryEngine(reader: PgHistoryReader, o: PgEngineOptions): QueryEngine {
  const maxPlanning = 2 * (o.maxWaiting + 1);
  let planning = 0;
  const open = () => {
    if (!o.stillOpen()) throw new StoreError("error", "history database was closed");
  };
  return {
    async plan(q) {
      open();
      if (planning >= maxPlanning) throw new HistoryBusy("planning");
      planning++;
      try {
        const matched = await reader.series(q);
        const { step, points } = stepFor(q, matched.length, await reader.rolledUntil());
        return { points, read: (turn) => readPlanned(reader, matched, { ...q, step }, { ...turn, stillOpen: o.stillOpen }) };
      } finally {
        planning--;
      }
    },
    report(q, ctx) {
      open();
      return (turn) => readPgReport(reader, q, ctx, { ...turn, stillOpen: o.stillOpen });
    },
    error: o.error,
  };
}

/** Reads a planned answer a series at a time, open rows ending where the org's last refresh did when its turn came. */
async function readPlanned(reader: PgHistoryReader, matched: MatchedSeries[], q: HistoryQuery, ctl: ReadControl): Promise<Answer> {
  const until = await reader.observedUntil();
  const series: SeriesResult[] = [];
  await eachSeries(matched, ctl, async (s) => {
    const r = await reader.read(s, q, until);
    if (r) series.push(r);
  });
  return { step: q.step, series };
}
