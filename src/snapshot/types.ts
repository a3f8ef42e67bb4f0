import type { PartFailure } from "../cls/org.ts";

/** Label values as exported: never empty ("unknown" when CLS did not say). */
export type Labels = Readonly<Record<string, string>>;

export interface EntitlementRow {
  labels: Labels;
  total: number | undefined;
  inUse: number | undefined;
  unassigned: number | undefined;
  /** Unix seconds. */
  end: number | undefined;
}

export interface ServerRow {
  labels: Labels;
}

export interface ServerFeatureRow {
  labels: Labels;
  total: number | undefined;
  /** Deduplicated active leases; 0 for a feature with none; undefined when its leases could not be read. */
  active: number | undefined;
}

export interface PoolRow {
  labels: Labels;
  allotment: number | undefined;
  inUse: number | undefined;
}

/** Leases that could not be tied to a server feature: counted, never dropped. */
export interface UnattributedRow {
  labels: Labels;
  count: number;
}

/** The numbers the metrics show; immutable once built. */
export interface Snapshot {
  /** When the served data was collected (ms since epoch). */
  collectedAt: number;
  /** How long the refresh that produced it took. */
  durationMs: number;
  /** The last refresh fully succeeded and this snapshot is its result. */
  up: boolean;
  entitlements: EntitlementRow[];
  servers: ServerRow[];
  serverFeatures: ServerFeatureRow[];
  pools: PoolRow[];
  unattributed: UnattributedRow[];
  /** Items CLS sent that could not be understood, by endpoint. */
  invalidItems: ReadonlyArray<readonly [string, number]>;
  /** Failures of the refresh that produced this snapshot. */
  failures: readonly PartFailure[];
}
