import { and, eq, gt } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { realTimers, type Timers } from "../../clock.ts";
import type { Logger } from "../../log.ts";
import type { SnapshotSource } from "../../snapshot/replica.ts";
import type { Snapshot } from "../../snapshot/types.ts";
import { decodeSnapshot } from "../codec.ts";
import { pgStoreError, redactedUrl } from "./errors.ts";
import { orgTag, SNAPSHOT_CHANNEL } from "./fence.ts";
import { type LockSession, openLockSession } from "./lock-session.ts";
import { CONNECT_TIMEOUT_S } from "./migrate.ts";
import { snapshots } from "./schema.ts";

/** leader: holds the org's lock; follower: another exporter does; detached: the database cannot be reached. */
export type Role = "leader" | "follower" | "detached";

/** How often a follower tries the lock and a leader checks that its session is alive. */
export const ELECTION_INTERVAL_MS = 3_000;

export interface ElectionOptions {
  url: string;
  orgName: string;
  log: Logger;
  now: () => number;
  /** CACHE_TTL: a replica cut off from the database this long refreshes CLS itself (writing nothing). */
  detachAfterMs: number;
  /** Before each try for the lock: whether this exporter may lead (its store is open on a schema it knows). */
  mayLead: () => Promise<boolean>;
  /** Heard on every change of role. */
  onRole?: (role: Role, was: Role) => void;
  timers?: Timers;
}

/**
 * One org's election among the exporters sharing a database: a session advisory lock on a session
 * of its own (lock-session.ts). The leader calls CLS and writes; the others serve its snapshots,
 * announced on SNAPSHOT_CHANNEL when written (read on each announcement, and at every cache
 * refresh as the fallback), and try the lock every ELECTION_INTERVAL_MS. A session that is lost
 * makes this exporter "detached" at once: a leader stops writing and goes on calling CLS for its
 * own /metrics; a follower does the same once cut off for detachAfterMs. Both compete again when
 * the database answers. Never throws; every change of role is logged.
 */
export class Election implements SnapshotSource {
  private current: Role = "detached";
  private session: LockSession | undefined;
  private listener: postgres.Sql | undefined;
  private listenFailed = false;
  private readonly listeners: (() => void)[] = [];
  private detachedSince: number;
  /** While detached: call CLS at once (a leader that lost its session, or an exporter that never reached the database). */
  private selfRefresh = true;
  /** The current detachment was logged. */
  private reported = false;
  private timer: unknown;
  private stepping: Promise<void> | undefined;
  private closed = false;
  private readonly timers: Timers;

  constructor(private readonly opts: ElectionOptions) {
    this.timers = opts.timers ?? realTimers;
    this.detachedSince = opts.now();
  }

  role(): Role {
    return this.current;
  }

  leads(): boolean {
    return this.current === "leader";
  }

  /** The session holding the lock while leading (the write fence reads it); undefined otherwise. */
  leaderPid(): number | undefined {
    return this.current === "leader" && this.session && !this.session.lost() ? this.session.pid : undefined;
  }

  callsCls(): boolean {
    if (this.current !== "detached") return this.current === "leader";
    return this.selfRefresh || this.opts.now() - this.detachedSince >= this.opts.detachAfterMs;
  }

  onAnnounce(listener: () => void): void {
    this.listeners.push(listener);
  }

  async shared(knownMs: number | undefined, force: boolean): Promise<Snapshot | undefined> {
    const session = this.session;
    if (!session || session.lost()) return undefined;
    try {
      const db = drizzle({ client: session.sql });
      // Unless announced, only a row stored in a later second than the served snapshot was refreshed
      // in is read (and its body sent): two writes within one second are told apart by their announcement.
      const knownS = knownMs === undefined ? undefined : Math.floor(knownMs / 1000);
      const mine = eq(snapshots.orgName, this.opts.orgName);
      const where = force || knownS === undefined ? mine : and(mine, gt(snapshots.collectedAt, knownS));
      const [row] = await session.answered(db.select().from(snapshots).where(where));
      if (!row) return undefined;
      // Newer, and found by a poll rather than announced: the notifications were lost (postgres.js
      // may give up re-subscribing after an outage); listen again from the next round.
      if (!force && knownS !== undefined) this.relisten();
      const stored = decodeSnapshot(row.body, row.format);
      if ("problem" in stored) {
        this.opts.log.warn("not serving the leader's stored snapshot", { reason: stored.problem });
        return undefined;
      }
      return stored;
    } catch (err) {
      // A session that cannot answer is given up: the next round reconnects (or detaches).
      await session.end();
      if (this.current === "leader") this.lost();
      this.opts.log.warn("reading the leader's snapshot failed", { error: this.message(err) });
      return undefined;
    }
  }

  /** Drops the notification connection; the next round subscribes again on a new one. */
  private relisten(): void {
    const listener = this.listener;
    this.listener = undefined;
    void listener?.end({ timeout: 0 }).catch(() => {});
  }

  /** Takes part at once (so the first refresh knows its role), then every ELECTION_INTERVAL_MS. */
  async start(): Promise<void> {
    await this.step();
    this.schedule();
  }

  /** Ends the sessions: a lock held is freed for another exporter. */
  async close(): Promise<void> {
    this.closed = true;
    this.timers.clearTimeout(this.timer);
    await this.stepping;
    await Promise.all([this.session?.end(), this.listener?.end({ timeout: 1 }).catch(() => {})]);
    this.session = undefined;
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = this.timers.setTimeout(() => {
      void this.step().finally(() => this.schedule());
    }, ELECTION_INTERVAL_MS);
  }

  /** One round: reconnect when detached, check the session, try the lock when following. Never overlaps itself. */
  private step(): Promise<void> {
    this.stepping ??= this.round().finally(() => {
      this.stepping = undefined;
    });
    return this.stepping;
  }

  private async round(): Promise<void> {
    if (this.closed) return;
    try {
      if (!this.session || this.session.lost()) {
        // A new session holds no lock: a leader whose session was given up leads no more.
        if (this.current === "leader") this.detach("the database session ended");
        this.session = await openLockSession(this.opts.url, this.opts.orgName, () => this.lost());
      }
      await this.listen();
      if (this.current === "leader") await this.session.heartbeat();
      else this.setRole((await this.opts.mayLead()) && (await this.session.tryLock()) ? "leader" : "follower");
    } catch (err) {
      await this.session?.end();
      this.session = undefined;
      this.detach(this.message(err));
    }
  }

  /** The session closed under us: never write again on its lock. */
  private lost(): void {
    if (this.closed) return;
    this.detach("the database session ended");
  }

  private detach(why: string): void {
    if (this.current === "detached" && this.reported) return;
    this.reported = true;
    if (this.current !== "detached") {
      this.selfRefresh = this.current === "leader";
      this.detachedSince = this.opts.now();
    }
    const msg = this.selfRefresh
      ? "history database not reachable: this exporter writes nothing and does not lead; it refreshes CLS for its own /metrics until the database answers"
      : `history database not reachable: serving the leader's last snapshot; after ${this.opts.detachAfterMs / 1000}s (CACHE_TTL) without the database this exporter refreshes CLS itself`;
    this.opts.log.error(msg, { org: this.opts.orgName, database: redactedUrl(this.opts.url), error: why });
    this.setRole("detached");
  }

  private setRole(role: Role): void {
    const was = this.current;
    if (role === was) return;
    this.current = role;
    if (role !== "detached") {
      this.reported = false;
      const msg = role === "leader" ? "this exporter leads its org: it calls CLS and writes the history" : "following the org's leader";
      this.opts.log.info(msg, { org: this.opts.orgName, was });
    }
    this.opts.onRole?.(role, was);
  }

  /**
   * LISTEN on its own connection (postgres.js re-subscribes after a reconnect and calls back, so a
   * missed announcement is caught up). Best effort: without it followers still read the leader's
   * snapshot at every cache refresh; a failure is logged once and tried again next round, and never
   * costs the lock.
   */
  private async listen(): Promise<void> {
    if (this.listener) return;
    const tag = orgTag(this.opts.orgName);
    const sql = postgres(this.opts.url, { max: 1, connect_timeout: CONNECT_TIMEOUT_S, onnotice: () => {} });
    const announce = () => {
      for (const l of this.listeners) l();
    };
    try {
      await sql.listen(SNAPSHOT_CHANNEL, (payload) => payload === tag && announce(), announce);
      this.listener = sql;
      if (this.listenFailed) this.opts.log.info("listening for the leader's snapshots again", { org: this.opts.orgName });
      this.listenFailed = false;
    } catch (err) {
      await sql.end({ timeout: 0 }).catch(() => {});
      if (!this.listenFailed)
        this.opts.log.warn("cannot listen for the leader's snapshots; followers read them at every cache refresh instead", {
          error: this.message(err),
        });
      this.listenFailed = true;
    }
  }

  private message(err: unknown): string {
    return pgStoreError(err, this.opts.url, "PostgreSQL history database").message;
  }
}
