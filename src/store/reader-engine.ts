import { StoreError } from "../errors.ts";
import { planAnswer, readAnswer } from "./answer.ts";
import type { QueryEngine } from "./queries.ts";
import type { HistoryReader } from "./reader.ts";
import { readReport } from "./report-read.ts";

/** The open database as a query needs it; throws StoreError when there is none. */
export type ReaderAccess = () => { reader: HistoryReader; rolledUntil: number | undefined; stillOpen: () => boolean };

/** The SQLite store's queries for HistoryQueries: planned and read synchronously on the database open when the query arrives. */
export function readerEngine(access: ReaderAccess): QueryEngine {
  return {
    plan(q) {
      const { reader, rolledUntil, stillOpen } = access();
      const plan = planAnswer(reader, rolledUntil, q);
      return { points: plan.points, read: (turn) => readAnswer(reader, plan, q, { ...turn, stillOpen }) };
    },
    report(q, ctx) {
      const { reader, stillOpen } = access();
      return (turn) => readReport(reader, q, ctx, { ...turn, stillOpen });
    },
    error: (err, what) => StoreError.from(err, `history database: ${what}`),
  };
}
