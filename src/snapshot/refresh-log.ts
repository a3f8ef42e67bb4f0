import type { Logger } from "../log.ts";
import { OutageLog } from "../outage.ts";
import { type CauseNotes, causesOf } from "./causes.ts";
import type { Snapshot } from "./types.ts";

/**
 * One line per refresh. A failure is logged at warn when it is new (another set of endpoint/reason
 * causes than the last one logged) and, while it repeats, once every 10 minutes with how many
 * refreshes failed alike meanwhile; the repeats are logged at debug. A recovery is logged once.
 * Success is logged at info when it says something new (the first one, a recovery, another number
 * of servers or features), else at debug: a healthy exporter is quiet at the default level.
 */
export function outcomeLogger(
  log: Logger,
  now: () => number,
  notes: () => CauseNotes = () => ({}),
): (s: Snapshot, fresh: number, durationMs: number, calls: number) => void {
  const outage = new OutageLog(now);
  let lastShape: string | undefined;
  return (s, fresh, durationMs, calls) => {
    const fields = { duration_ms: Math.round(durationMs), calls, servers: s.servers.length, features: s.serverFeatures.length };
    const causes = causesOf(s, notes());
    if (causes.size === 0) {
      const ended = outage.recover();
      const shape = `${fields.servers}/${fields.features}`;
      const news = ended !== undefined || shape !== lastShape;
      lastShape = shape;
      (news ? log.info : log.debug)(
        "refresh succeeded",
        ended ? { ...fields, recovered_after_failed_refreshes: ended.failures, failing_for_s: Math.round(ended.sinceMs / 1000) } : fields,
      );
      return;
    }
    // The main cause is the first (the most upstream; see causesOf).
    const [main, ...others] = causes.values();
    const verdict = outage.fail([...causes.keys()].sort().join(","));
    const line = {
      ...fields,
      failed_parts: s.failures.length,
      fresh_parts: fresh,
      serving_last_good: s.failures.filter((f) => f.stale).length,
      endpoint: main!.endpoint,
      reason: main!.detail,
      hint: main!.hint,
      error: main!.message,
      other_causes: others.length > 0 ? others.map((c) => `${c.endpoint}:${c.detail}×${c.parts}`).join(",") : undefined,
      failing_for_s: verdict.failures > 1 ? Math.round(verdict.sinceMs / 1000) : undefined,
      same_failure_unlogged: verdict.log && verdict.repeated > 0 ? verdict.repeated : undefined,
    };
    // "failed": nothing fresh, every series is its last good value; "incomplete": some parts are;
    // "succeeded" with a warning: every call worked, but some items could not be read.
    const msg = s.failures.length === 0 ? "refresh succeeded with unreadable items" : fresh === 0 ? "refresh failed" : "refresh incomplete";
    (verdict.log ? log.warn : log.debug)(msg, line);
  };
}
