import { join } from "node:path";
import { createLogger } from "../../src/log.ts";
import type { Snapshot } from "../../src/snapshot/types.ts";
import { PgHistoryStore } from "../../src/store/pg/store.ts";
import { HistoryStore } from "../../src/store/store.ts";
import { DAY, snapshotAt } from "../store/helpers.ts";

/** The same org recorded by both engines: the SQLite store (a temporary file) and the PostgreSQL one. */
export interface Pair {
  sqlite: HistoryStore;
  pg: PgHistoryStore;
  clock: { now: number };
  lines: string[];
}

export interface PairOptions {
  orgName: string;
  maxGapS?: number;
  rawRetentionS?: number;
  retentionS?: number;
}

export async function openPair(dir: string, url: string, o: PairOptions, clock = { now: 0 }): Promise<Pair> {
  const lines: string[] = [];
  const log = createLogger({ write: (l) => lines.push(l) });
  const common = {
    orgName: o.orgName,
    maxGapS: o.maxGapS ?? 130,
    rawRetentionS: o.rawRetentionS ?? 8 * DAY,
    retentionS: o.retentionS ?? 400 * DAY,
    now: () => clock.now,
    log,
  };
  const sqlite = new HistoryStore({ ...common, path: join(dir, `${o.orgName}.db`) });
  return { sqlite, pg: await PgHistoryStore.open({ ...common, url }), clock, lines };
}

/** Records the snapshots in order in both stores. */
export async function feed(p: Pair, snapshots: readonly Snapshot[]): Promise<void> {
  for (const s of snapshots) p.sqlite.record(s);
  await Promise.all(snapshots.map((s) => p.pg.record(s)));
}

/** Runs maintenance at `nowS` on both until neither has work pending. */
export async function maintainBoth(p: Pair, nowS: number): Promise<void> {
  p.clock.now = nowS * 1000;
  while (p.sqlite.maintain()) {}
  while (await p.pg.maintain(nowS)) {}
}

/**
 * Three hours of refreshes a minute apart from `t0` with everything the writer has rules for:
 * values changing every few minutes, a series that goes and comes back, a gap longer than maxGapS,
 * a repeated refresh, a small step back, a rename of a server (its id unchanged) and a value CLS
 * did not report.
 */
export function eventfulHistory(t0: number): Snapshot[] {
  const out: Snapshot[] = [];
  for (let m = 0; m < 180; m++) {
    if (m >= 100 && m < 110) continue; // exporter down: a gap
    const t = t0 + m * 60;
    const values: Record<string, number | undefined> = {
      "s1/vpc": Math.floor(m / 7) % 5,
      "s1/vws": m % 13 < 6 ? 2 : 3,
      "s2/vpc": m % 11 < 4 ? 9 : 10,
    };
    if (m >= 40 && m < 55) delete values["s2/vpc"]; // the series goes away and comes back
    if (m === 70) values["s1/vws"] = undefined; // not reported: no observation
    let s = snapshotAt(t, values);
    if (m >= 120) s = renamed(s, "s2", "renamed s2");
    out.push(s);
    if (m === 60) out.push(s); // the same refresh served again: nothing new
    if (m === 90) out.push(snapshotAt(t - 30, values)); // a small step back: the snapshot only
  }
  return out;
}

function renamed(s: Snapshot, server: string, name: string): Snapshot {
  return {
    ...s,
    serverFeatures: s.serverFeatures.map((r) => (r.labels.server_id === server ? { ...r, labels: { ...r.labels, server_name: name } } : r)),
  };
}
