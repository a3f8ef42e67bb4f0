import type { ClsLimits } from "./limits.ts";

/**
 * One byte budget shared by every CLS read in flight (answer bodies and compressedClients inflates),
 * so N calls at once hold at most the budget between them, not N × the bound. Built once per
 * exporter. A read takes bytes as chunks arrive and gives them all back once its answer is parsed or
 * refused; a take that does not fit waits (the read stops pulling its stream: backpressure) until
 * others give back. When every read holding bytes is waiting, none can progress: the largest holder
 * is refused (OverBudget) and its bytes given back at once, so the others go on. A read also holds
 * the one chunk it is waiting to take, so memory is at most the budget plus one chunk per read.
 */
export interface ByteBudget {
  readonly capacity: number;
  /** Bytes held by all claims together. */
  used(): number;
  /** A claim for one read; its bytes are given back by release(). */
  open(): ByteClaim;
  /** Called once a read was refused as too large and released: collects its garbage (see createByteBudget). */
  refused(): void;
}

export interface ByteClaim {
  /** Bytes this claim holds. */
  held(): number;
  /**
   * Resolves once `n` more bytes are held. Rejects with OverBudget when this claim alone would pass the
   * capacity or is refused to break a deadlock (its bytes then already given back), or with the
   * signal's reason when it aborts while waiting (nothing taken).
   */
  take(n: number, signal?: AbortSignal): Promise<void>;
  /** Gives back every byte held; a second call does nothing. */
  release(): void;
}

/** A read refused by the shared budget: it would pass the capacity, or it was the largest holder of a deadlock. */
export class OverBudget extends Error {
  constructor(
    readonly wanted: number,
    readonly capacity: number,
  ) {
    super(`reads in flight together would hold more than ${capacity} bytes (this one ${wanted})`);
    this.name = "OverBudget";
  }
}

/** One answer at either bound fits alone: the larger of CLS_MAX_RESPONSE_BYTES and CLS_MAX_INFLATED_BYTES. */
export const byteBudgetFor = (limits: Pick<ClsLimits, "maxResponseBytes" | "maxInflatedBytes">): number =>
  Math.max(limits.maxResponseBytes, limits.maxInflatedBytes);

interface Waiter {
  claim: Claim;
  n: number;
  resolve: () => void;
  reject: (err: unknown) => void;
  unlisten: () => void;
}

interface Claim {
  held: number;
  waiter: Waiter | undefined;
}

/**
 * `collect` runs after each refusal. JavaScriptCore frees the refused chunks only when allocation
 * pressure asks, so 16 reads refused per refresh left up to ~100 MiB of garbage resident: a full
 * collection after each (Bun.gc(true), a few ms, only when CLS sent too much) brought the 1 GiB body
 * row from +157 to +38 MiB above idle; an eden collection (Bun.gc(false)) did not help (BENCHMARKS.md (h)).
 */
export function createByteBudget(capacity: number, collect?: () => void): ByteBudget {
  const state = { used: 0 };
  const holders = new Set<Claim>();
  const queue: Waiter[] = [];

  const give = (c: Claim) => {
    state.used -= c.held;
    c.held = 0;
    holders.delete(c);
  };
  const unqueue = (w: Waiter) => {
    queue.splice(queue.indexOf(w), 1);
    w.claim.waiter = undefined;
    w.unlisten();
  };

  /** Grants what fits, in arrival order; then breaks a deadlock if every holder waits. */
  function settle(): void {
    for (;;) {
      for (const w of [...queue]) {
        if (state.used + w.n > capacity) continue;
        unqueue(w);
        w.claim.held += w.n;
        state.used += w.n;
        holders.add(w.claim);
        w.resolve();
      }
      if (queue.length === 0 || holders.size === 0) return;
      for (const c of holders) if (!c.waiter) return;
      const victim = [...holders].reduce((a, b) => (b.held > a.held ? b : a));
      const w = victim.waiter!;
      unqueue(w);
      const wanted = victim.held + w.n;
      give(victim);
      w.reject(new OverBudget(wanted, capacity));
    }
  }

  function open(): ByteClaim {
    const claim: Claim = { held: 0, waiter: undefined };
    return {
      held: () => claim.held,
      take(n, signal) {
        if (n <= 0) return Promise.resolve();
        if (claim.held + n > capacity) return Promise.reject(new OverBudget(claim.held + n, capacity));
        if (signal?.aborted) return Promise.reject(signal.reason);
        return new Promise<void>((resolve, reject) => {
          const onAbort = () => {
            unqueue(w);
            reject(signal?.reason);
            settle();
          };
          const w: Waiter = { claim, n, resolve, reject, unlisten: () => signal?.removeEventListener("abort", onAbort) };
          signal?.addEventListener("abort", onAbort, { once: true });
          claim.waiter = w;
          queue.push(w);
          settle();
        });
      },
      release() {
        const w = claim.waiter;
        if (w) {
          unqueue(w);
          w.reject(new Error("claim released while waiting"));
        }
        if (claim.held === 0) return settle();
        give(claim);
        settle();
      },
    };
  }

  return { capacity, used: () => state.used, open, refused: () => collect?.() };
}
