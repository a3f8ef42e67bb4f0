/** The OTLP collector of the benchmarks: bench/otlp-receiver.ts as a child process that can go down and come back. */

import type { Subprocess } from "bun";
import { eachLine, firstLine, spawnChild } from "./processes.ts";

/** One collector on one port: the first start takes a free port (or `port`), every restart binds the same one. */
export class Collector {
  up = false;
  /** Pushes the receiver decoded, over all its starts. */
  received = 0;
  starts = 0;
  private child: Subprocess<"ignore", "pipe", "pipe"> | undefined;

  constructor(
    /** Seconds each receiver process lives at the most: the benchmark's own budget. */
    private readonly lifetimeS: number,
    public port = 0,
  ) {}

  async start(): Promise<void> {
    let lastError: Error | undefined;
    // The port was ours a moment ago; a bind can fail while the old process is still going away.
    for (let attempt = 0; attempt < 10; attempt++) {
      const args = ["--port", String(this.port), "--lifetime", String(this.lifetimeS)];
      const child = spawnChild([process.execPath, "run", "bench/otlp-receiver.ts", ...args]);
      const err: string[] = [];
      void eachLine(child.stderr, (l) => err.push(l));
      const listening = firstLine(child.stdout, (l) => (l.startsWith("listening port=") ? Number(l.slice(15)) : undefined), {
        timeoutMs: 20_000,
        onLine: (l) => {
          if (l.startsWith("pushes=")) this.received += Number(l.slice(7));
        },
      });
      try {
        this.port = await listening;
        this.child = child;
        this.up = true;
        this.starts++;
        return;
      } catch (e) {
        lastError = new Error(`collector did not start: ${(e as Error).message} ${err.slice(-3).join(" | ")}`);
        child.kill();
        await Bun.sleep(300);
      }
    }
    throw lastError!;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    this.up = false;
    if (child) {
      child.kill();
      await child.exited;
    }
  }
}
