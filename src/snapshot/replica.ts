import type { Snapshot } from "./types.ts";

/**
 * Where a replica's snapshots come from when several exporters of one org share a database (the
 * election in src/store/pg/election.ts implements it). Without one, an exporter calls CLS itself.
 */
export interface SnapshotSource {
  /** True: call CLS (the leader, or an exporter cut off from the database long enough); false: serve the leader's snapshots. */
  callsCls(): boolean;
  /** Whether this exporter is its org's leader: nvidia_cls_leader. */
  leads(): boolean;
  /**
   * The leader's latest stored snapshot, as it stored it (its up and timestamps), when it was
   * refreshed after `knownMs` (see refreshedAt) or `force`d; undefined when there is nothing newer. Never rejects: a database that
   * cannot be read is the source's to log and act on; undefined then.
   */
  shared(knownMs: number | undefined, force: boolean): Promise<Snapshot | undefined>;
  /** `listener` is called when the leader announces a new snapshot. */
  onAnnounce(listener: () => void): void;
}

export interface SourcedRefreshDeps {
  /** One refresh from CLS (src/snapshot/refresher.ts). */
  cls: () => Promise<Snapshot>;
  source: SnapshotSource;
  /** The snapshot served now. */
  current: () => Snapshot | undefined;
}

/** When the refresh that made a snapshot ended: its collection, or the later refresh that re-served it. */
export const refreshedAt = (s: Snapshot): number => s.refreshedAt ?? s.collectedAt;

/**
 * The cache's refresh on a replica: CLS when the source says so, else the leader's latest snapshot.
 * Served snapshots never go back in time: one of the leader's refreshed before the one served (an
 * exporter that refreshed CLS itself while cut off from the database) is not taken.
 * `notified()` makes the next refresh read the leader's snapshot even when its stored second
 * equals the one served (a write notification names a new snapshot for sure).
 */
export function sourcedRefresh({ cls, source, current }: SourcedRefreshDeps): {
  refresh: () => Promise<Snapshot | undefined>;
  notified: () => void;
  /** A notification came after the refresh in flight began: one more refresh is due. */
  behind: () => boolean;
} {
  let force = false;
  const refresh = async (): Promise<Snapshot | undefined> => {
    if (source.callsCls()) return cls();
    const served = current();
    const at = served && refreshedAt(served);
    const forced = force;
    force = false;
    const next = await source.shared(at, forced);
    return next && (at === undefined || refreshedAt(next) > at) ? next : undefined;
  };
  return {
    refresh,
    notified: () => {
      force = true;
    },
    behind: () => force,
  };
}
