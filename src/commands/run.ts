import pkg from "../../package.json" with { type: "json" };
import { clsFetch } from "../cls/transport.ts";
import type { Command, Config } from "../config/index.ts";
import { createLogger, streamWriter } from "../log.ts";
import { DiagnosisCollector } from "./collector.ts";
import { exitCodeOf, refreshOnce } from "./once.ts";
import { diagnosisReport } from "./report.ts";

/**
 * Runs a command after the configuration was read (a bad one exited 2 before): one refresh, the
 * diagnosis on stdout, the refresh's own log on stderr at LOG_LEVEL as in a run (its outcome line,
 * redacted; at debug, each request). Returns the exit code.
 */
export async function runCommand(command: Command, config: Config, opts: { revision: string }): Promise<number> {
  const log = createLogger({ write: streamWriter(process.stderr, () => {}), level: config.log.level, format: config.log.format });
  const collector = new DiagnosisCollector();
  const snapshot = await refreshOnce(config, {
    fetch: clsFetch(config.clsTransport, fetch),
    now: Date.now,
    log,
    build: { version: pkg.version, revision: opts.revision, bunVersion: Bun.version },
    fields: collector.sink,
    onAttempt: collector.onAttempt,
  });
  const out = diagnosisReport(collector, snapshot, command.format);
  await new Promise<void>((resolve) => process.stdout.write(out, () => resolve()));
  return exitCodeOf(snapshot);
}
