import type { Logger } from "../log.ts";
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
  now: () => number;
  /** A follower whose leader refreshed nothing for this long refreshes CLS itself (see leaderSilentAfterMs). */
  silentAfterMs: number;
  log: Logger;
}

/**
 * How long a follower waits for its leader's next snapshot before it refreshes CLS itself: two
 * refreshes missed (each CACHE_TTL apart and up to SCRAPE_TIMEOUT long) and an election round. A
 * leader that hangs while holding its lock, or no replica able to lead (all refused a newer schema),
 * must not leave every replica serving frozen data.
 */
export const leaderSilentAfterMs = (cacheTtlMs: number, scrapeTimeoutMs: number): number => 2 * cacheTtlMs + scrapeTimeoutMs + 5_000;

/** When the refresh that made a snapshot ended: its collection, or the later refresh that re-served it. */
export const refreshedAt = (s: Snapshot): number => s.refreshedAt ?? s.collectedAt;

/**
 * The cache's refresh on a replica: CLS when the source says so, else the leader's latest snapshot.
 * Served snapshots never go back in time: one of the leader's refreshed before the one served (an
 * exporter that refreshed CLS itself while cut off from the database) is not taken.
 * `notified()` makes the next refresh read the leader's snapshot even when its stored second
 * equals the one served (a write notification names a new snapshot for sure).
 */
export function sourcedRefresh({ cls, source, current, now, silentAfterMs, log }: SourcedRefreshDeps): {
  refresh: () => Promise<Snapshot | undefined>;
  notified: () => void;
  /** A notification came after the refresh in flight began: one more refresh is due. */
  behind: () => boolean;
} {
  let force = false;
  const startedAt = now();
  /** The leader's snapshot last taken, or when this replica started: how long the leader has been silent. */
  let heardAt = startedAt;
  let silent = false;
  const refresh = async (): Promise<Snapshot | undefined> => {
    if (source.callsCls()) return cls();
    const served = current();
    const at = served && refreshedAt(served);
    const forced = force;
    force = false;
    const next = await source.shared(at, forced);
    const taken = next && (at === undefined || refreshedAt(next) > at) ? next : undefined;
    const leaders = taken ?? next;
    if (leaders) heardAt = Math.max(heardAt, refreshedAt(leaders));
    if (now() - heardAt <= silentAfterMs) {
      if (silent) log.info("the leader's snapshots arrive again; serving them");
      silent = false;
      return taken;
    }
    if (!silent)
      log.warn("no new snapshot from the org's leader: this replica refreshes CLS itself (writing nothing) until one arrives", {
        silent_s: Math.round((now() - heardAt) / 1000),
      });
    silent = true;
    return taken ?? cls();
  };
  return {
    refresh,
    notified: () => {
      force = true;
    },
    behind: () => force,
  };
}
