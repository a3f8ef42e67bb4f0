/**
 * The run-length rules of history writing, free of any database: which rows a snapshot closes and
 * opens, when refreshes join and when the clock going back drops history. HistoryWriter (SQLite)
 * and PgHistoryWriter (PostgreSQL) both write what these functions decide.
 */

/** A series a writer knows: its id, and a hash of the labels JSON the database holds. */
export interface SeriesRef {
  id: number;
  /** Enough to notice a rename, without keeping ~250 bytes per series. */
  labels: bigint;
}

/** The hash SeriesRef.labels keeps of a labels JSON. */
export const labelsHash = (json: string): bigint => Bun.hash.wyhash(json);

/** A series' identity within its org, as writers key their maps of SeriesRef. */
export const seriesKey = (s: { kind: string; key: string }): string => `${s.kind}\n${s.key}`;

/** An open row: the series has had this value since `start`, through the last recorded refresh. */
export interface OpenRun {
  start: number;
  last: number;
  capacity: number | null;
}

/** What a snapshot at `t` does, given the org's last recorded refresh and its open rows. */
export interface RecordPlan {
  /** The clock went back further than a gap: what was recorded at or after t is dropped (the previous observed_until). */
  rewound: number | undefined;
  /** The open rows still valid at t (after a rewind, those that began before t). */
  open: Map<number, OpenRun>;
  /** The last recorded refresh the runs continue from (undefined after a rewind). */
  prev: number | undefined;
  /** False for a small step back or the same second: the snapshot is stored, the runs stay. */
  append: boolean;
}

export function planRecord(t: number, observedUntil: number | undefined, open: Map<number, OpenRun>, maxGapS: number): RecordPlan {
  // History cannot lie in the future: after a large step back, what was recorded after t is
  // dropped rather than freezing every later write.
  const rewound = observedUntil !== undefined && observedUntil - t > maxGapS ? observedUntil : undefined;
  if (rewound !== undefined) return { rewound, open: new Map([...open].filter(([, run]) => run.start < t)), prev: undefined, append: true };
  return { rewound, open, prev: observedUntil, append: observedUntil === undefined || t > observedUntil };
}

/** One observation with its series resolved to an id. */
export interface ObservedValue {
  id: number;
  value: number;
  capacity: number | null;
}

export interface RunChanges {
  closes: { id: number; start: number; end: number }[];
  opens: { id: number; start: number; last: number; capacity: number | null }[];
  /** The open rows after the snapshot: exactly the series it observed. */
  next: Map<number, OpenRun>;
}

/**
 * The rows a snapshot at `t` closes and opens. A value holds until the refresh that saw it change,
 * as a gauge does between samples. After a long gap (exporter down, CLS unreachable) rows end where
 * they were last seen, so the gap stays visible. The same series twice in one snapshot: the first wins.
 */
export function planRuns(
  observed: readonly ObservedValue[],
  open: Map<number, OpenRun>,
  t: number,
  prev: number | undefined,
  maxGapS: number,
): RunChanges {
  const joined = prev !== undefined && t - prev <= maxGapS;
  const closeAt = joined ? t : (prev ?? t);
  const out: RunChanges = { closes: [], opens: [], next: new Map() };
  for (const o of observed) {
    if (out.next.has(o.id)) continue;
    const run = open.get(o.id);
    if (joined && run && run.last === o.value && run.capacity === o.capacity) {
      out.next.set(o.id, run);
      continue;
    }
    if (run) out.closes.push({ id: o.id, start: run.start, end: closeAt });
    out.opens.push({ id: o.id, start: t, last: o.value, capacity: o.capacity });
    out.next.set(o.id, { start: t, last: o.value, capacity: o.capacity });
  }
  // Series not observed this time end like changed ones.
  for (const [id, run] of open) if (!out.next.has(id)) out.closes.push({ id, start: run.start, end: closeAt });
  return out;
}
