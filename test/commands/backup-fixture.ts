import type { Snapshot } from "../../src/snapshot/types.ts";
import { snapshotAt } from "../store/helpers.ts";

/** Unix seconds of the first refresh the backup tests record. */
export const BACKUP_T0 = 1_800_000_000;

/** Refresh number `i` at `seconds`: 40 server features whose values all change from one refresh to the next. */
export function busyRefresh(seconds: number, i: number): Snapshot {
  const values: Record<string, number> = {};
  for (let j = 0; j < 40; j++) values[`s${j}/vpc`] = (i + j) % 11;
  return snapshotAt(seconds, values);
}
