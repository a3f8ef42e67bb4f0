/**
 * Rate limit for logging a failure that repeats: the first failure of an outage is logged, the same
 * failure again only once every `remindMs`, a different one (another signature) at once, and the
 * recovery once. Used for CLS refreshes and OTLP pushes, so a dead upstream costs a log line every
 * ten minutes, not one per refresh or push.
 */
export type FailureVerdict =
  /** Log it: the first failure, a new signature, or a reminder; `repeated` failures went unlogged since the last line. */
  | { log: true; first: boolean; repeated: number; failures: number; sinceMs: number }
  /** Keep quiet (or log at debug). */
  | { log: false; failures: number; sinceMs: number };

export interface Recovery {
  failures: number;
  sinceMs: number;
}

export class OutageLog {
  private outage: { since: number; failures: number; loggedAt: number; signature: string; unlogged: number } | undefined;

  constructor(
    private readonly now: () => number,
    private readonly remindMs = 10 * 60_000,
  ) {}

  /** Records one failure; `signature` tells failures apart ("" when one outage is one story whatever its reasons). */
  fail(signature = ""): FailureVerdict {
    const now = this.now();
    const o = this.outage;
    if (!o) {
      this.outage = { since: now, failures: 1, loggedAt: now, signature, unlogged: 0 };
      return { log: true, first: true, repeated: 0, failures: 1, sinceMs: 0 };
    }
    o.failures += 1;
    if (signature === o.signature && now - o.loggedAt < this.remindMs) {
      o.unlogged += 1;
      return { log: false, failures: o.failures, sinceMs: now - o.since };
    }
    const repeated = o.unlogged;
    o.loggedAt = now;
    o.signature = signature;
    o.unlogged = 0;
    return { log: true, first: false, repeated, failures: o.failures, sinceMs: now - o.since };
  }

  /** Ends the outage; what it was, or undefined when there was none. */
  recover(): Recovery | undefined {
    const o = this.outage;
    this.outage = undefined;
    return o && { failures: o.failures, sinceMs: this.now() - o.since };
  }
}
