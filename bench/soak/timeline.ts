/** The soak's clock and what happened when: the faults set and the collector's ups and downs, at their scheduled times. */

export const sleepUntil = (at: number) => Bun.sleep(Math.max(0, at - performance.now()));

export class Timeline {
  readonly t0 = performance.now();
  readonly endAt: number;
  /** Set once the load ended: the schedules change nothing more. */
  stopping = false;
  readonly faults: Array<{ t: number; name: string }> = [];
  readonly collector: Array<{ t: number; up: boolean }> = [{ t: 0, up: true }];

  constructor(totalMs: number) {
    this.endAt = this.t0 + totalMs;
  }

  elapsedS(): number {
    return (performance.now() - this.t0) / 1000;
  }

  /** The fault active at `t` s. */
  faultAt(t: number): string {
    return [...this.faults].reverse().find((f) => f.t <= t)?.name ?? "none";
  }

  /** The faults active during (from, to]: the one at `from`, then each change. */
  faultsBetween(from: number, to: number): string[] {
    const names = [this.faultAt(from), ...this.faults.filter((f) => f.t > from && f.t < to).map((f) => f.name)];
    return names.filter((x, i, a) => i === 0 || x !== a[i - 1]);
  }

  /** The collector's state at `from` and its changes until `to`, as "up→down". */
  collectorBetween(from: number, to: number): string {
    const wasUp = [...this.collector].reverse().find((c) => c.t <= from)?.up ?? true;
    const changes = this.collector.filter((c) => c.t > from && c.t < to).map((c) => (c.up ? "up" : "down"));
    return [wasUp ? "up" : "down", ...changes].join("→");
  }
}
