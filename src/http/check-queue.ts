/** What a credential check ends with: checked (right or wrong), or not checked because others were. */
export type Verdict = boolean | "busy";

export interface CheckQueueOptions {
  /** Checks running at once. */
  running: number;
  /** Checks waiting for a free runner; past it, the one that has waited longest is answered "busy". */
  waiting: number;
  /** Told each time a waiting check is answered "busy". */
  onBusy?: () => void;
}

interface Job {
  run: () => Promise<boolean>;
  settle: (v: Verdict) => void;
}

/**
 * Runs expensive checks (bcrypt) at most `running` at once and keeps at most `waiting` in line, so
 * a check never waits behind more than `running + waiting` others. When the line is full the
 * longest-waiting check gives way to the newcomer: its client is the likeliest to have given up
 * (scrape timeouts), and a burst of guesses cannot hold the line against what comes after it.
 * A run that throws (a malformed hash) counts as a wrong credential.
 */
export function createCheckQueue(opts: CheckQueueOptions): (run: () => Promise<boolean>) => Promise<Verdict> {
  let active = 0;
  const line: Job[] = [];
  const next = () => {
    while (active < opts.running && line.length > 0) {
      const job = line.shift()!;
      active++;
      void Promise.resolve()
        .then(job.run)
        .catch(() => false)
        .then((ok) => {
          active--;
          job.settle(ok);
          next();
        });
    }
  };
  return (run) =>
    new Promise<Verdict>((settle) => {
      line.push({ run, settle });
      if (line.length > opts.waiting && active >= opts.running) {
        line.shift()!.settle("busy");
        opts.onBusy?.();
      }
      next();
    });
}
