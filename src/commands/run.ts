import pkg from "../../package.json" with { type: "json" };
import { clsFetch } from "../cls/transport.ts";
import type { Command, Config } from "../config/index.ts";
import { createLogger, streamWriter } from "../log.ts";
import { backupCommand } from "./backup.ts";
import { captureCommand } from "./capture.ts";
import { DiagnosisCollector } from "./collector.ts";
import { migrateCommand } from "./migrate-history.ts";
import { exitCodeOf, refreshOnce } from "./once.ts";
import { diagnosisReport } from "./report.ts";

/** The commands that refresh once with the exporter's whole configuration. */
export type RefreshCommand = Exclude<Command, { name: "backup-history" | "migrate-history" }>;

/**
 * --backup-history, after DB_PATH was read (loadDbPath: it needs no key or org). Returns the exit
 * code; its one line goes to stdout, or to stderr when it fails.
 */
export function runBackup(command: Extract<Command, { name: "backup-history" }>, dbPath: string): Promise<number> {
  return backupCommand(command.file, dbPath, { out: (l) => print(process.stdout, l), err: (l) => print(process.stderr, l) });
}

/**
 * --migrate-history, after DB_PATH was read (loadDbPath). Returns the exit code; the summary goes to
 * stdout, progress and failures to stderr.
 */
export function runMigrate(
  command: Extract<Command, { name: "migrate-history" }>,
  env: Record<string, string | undefined>,
  dbPath: string,
): Promise<number> {
  return migrateCommand(command.url, env, dbPath, {
    out: (l) => print(process.stdout, l),
    err: (l) => print(process.stderr, l),
    now: Date.now,
  });
}

/**
 * Runs a command after the configuration was read (a bad one exited 2 before): one refresh, the
 * diagnosis on stdout (and, for --capture, a line saying what was written), the refresh's own log on
 * stderr at LOG_LEVEL as in a run (its outcome line, redacted; at debug, each request). Returns the
 * exit code.
 */
export async function runCommand(command: RefreshCommand, config: Config, opts: { revision: string }): Promise<number> {
  const log = createLogger({ write: streamWriter(process.stderr, () => {}), level: config.log.level, format: config.log.format });
  const collector = new DiagnosisCollector();
  const deps = {
    fetch: clsFetch(config.clsTransport, fetch),
    now: Date.now,
    log,
    build: { version: pkg.version, revision: opts.revision, bunVersion: Bun.version },
    fields: collector.sink,
    onAttempt: collector.onAttempt,
  };
  if (command.name === "capture") {
    const result = await captureCommand(command.dir, config, deps);
    if (!result.snapshot) {
      await print(process.stderr, `${result.summary}\n`);
      return result.code;
    }
    const report = diagnosisReport(collector, result.snapshot, command.format);
    const out =
      command.format === "json"
        ? `${JSON.stringify({ ...JSON.parse(report), capture: captureJson(result) })}\n`
        : `${report}\n${result.summary}\n`;
    await print(process.stdout, out);
    return result.code;
  }
  const snapshot = await refreshOnce(config, deps);
  await print(process.stdout, diagnosisReport(collector, snapshot, command.format));
  return exitCodeOf(snapshot);
}

const captureJson = (r: Awaited<ReturnType<typeof captureCommand>>) => ({ ok: r.code === 0, summary: r.summary, ...r.written });

const print = (stream: NodeJS.WriteStream, text: string) => new Promise<void>((resolve) => stream.write(text, () => resolve()));
