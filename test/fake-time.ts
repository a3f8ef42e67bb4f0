import type { Timers } from "../src/clock.ts";

/** A clock and timers that move only when the test says so. */
export class FakeTime implements Timers {
  now = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private next = 1;
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.next++;
    this.timers.set(id, { at: this.now + ms, fn });
    return id;
  };
  clearTimeout = (id: unknown) => void this.timers.delete(id as number);
  async advance(ms: number) {
    this.now += ms;
    for (const [id, t] of [...this.timers].sort((a, b) => a[1].at - b[1].at)) {
      if (t.at <= this.now && this.timers.delete(id)) t.fn();
    }
    await Bun.sleep(0);
  }
  pending() {
    return this.timers.size;
  }
}
