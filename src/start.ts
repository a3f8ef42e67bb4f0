import { readFileSync, statSync } from "node:fs";
import { hostname } from "node:os";
import pkg from "../package.json" with { type: "json" };
import { redact } from "./cls/redact.ts";
import { clsFetch } from "./cls/transport.ts";
import {
  authSchemes,
  type Config,
  type ConfigSources,
  cliRequest,
  describeProxy,
  loadConfig,
  loadDbPath,
  splitCommand,
  usage,
} from "./config/index.ts";
import { createExporter, type Exporter } from "./context.ts";
import { ConfigError } from "./errors.ts";
import { logFdLimit } from "./fd-limit.ts";
import { listen } from "./http/serve.ts";
import { createLogger, type Logger, type LogStats, streamWriter } from "./log.ts";
import { releaseMemory } from "./memory.ts";
import type { Snapshot } from "./snapshot/types.ts";
import { type HistoryBackend, HistoryStore, maxGapSeconds, OwnerConflict, type StoreOptions } from "./store/index.ts";
import { redactedUrl, scrub } from "./store/pg/errors.ts";

/**
 * The composition root: the one start-up path of the exporter and the demo. Only here are the
 * environment, files, the clock, ports and signals touched; everything it wires is built from
 * what it passes in.
 */
export interface Entry {
  /** Names the program in start-up errors ("demo: invalid configuration: …"). */
  name: string;
  env: Record<string, string | undefined>;
  argv: readonly string[];
  /** Git revision shown in nvidia_cls_exporter_build_info. */
  revision: string;
  /** Added to the error when the port cannot be bound. */
  listenHint?: string;
  /** Added to the error when another exporter writes this org's history in DB_PATH. */
  historyHint?: string;
  /** Printed on stdout once listening (the demo's addresses). */
  banner?: (url: string, config: Config) => string;
  /** Runs after the exporter stopped on a signal, before the process exits (the demo stops its simulator). */
  after?: () => Promise<void>;
  /**
   * Runs once the history store is open, before the port is bound and before the first refresh
   * (the demo back-fills its simulated past through the store's writer). Must not throw.
   */
  backfill?: (history: HistoryStore, config: Config, log: Logger) => Promise<void>;
  /** A notice for the status page's `banner` (the demo: its history before it started is simulated). */
  pageBanner?: string;
}

export interface Running {
  exporter: Exporter;
  url: string;
  /** Stops accepting, lets in-flight requests finish, stops refreshing, closes the database. */
  stop: () => Promise<void>;
  /** When stop() overran its time: closes the database (what was committed stays) without waiting. */
  abandon: () => void;
}

/** `bun run src/index.ts [flags]`: a command (--check, --capture, --backup-history, --migrate-history) when one is asked for, else the exporter. */
export async function main(entry: Entry): Promise<void> {
  const problems: string[] = [];
  const { command, rest } = splitCommand(entry.argv, problems);
  if (problems.length > 0 && cliRequest(entry.argv) === undefined) {
    process.stderr.write(
      `${entry.name}: invalid command line:\n${problems.map((p) => `  - ${p}`).join("\n")}\nRun with --help for every setting.\n`,
    );
    process.exit(2);
  }
  if (!command) {
    await start({ ...entry, argv: rest });
    return;
  }
  if (command.name === "backup-history") {
    // Reads DB_PATH only: a backup needs no CLS credentials and copies every org's history.
    const dbPath = configure({ ...entry, argv: rest }, loadDbPath);
    const { runBackup } = await import("./commands/run.ts");
    process.exit(await runBackup(command, dbPath));
  }
  if (command.name === "migrate-history") {
    // Like the backup: DB_PATH (and DATABASE_URL when no URL is given) only, every org copied.
    const dbPath = configure({ ...entry, argv: rest }, loadDbPath);
    const { runMigrate } = await import("./commands/run.ts");
    process.exit(await runMigrate(command, entry.env, dbPath));
  }
  const config = configure({ ...entry, argv: rest }, loadConfig);
  const { runCommand } = await import("./commands/run.ts");
  try {
    process.exit(await runCommand(command, config, { revision: entry.revision }));
  } catch (err) {
    // The refresh logs its own failures; this is a fault of the command itself, said in one line without the key.
    process.stderr.write(`${entry.name}: --${command.name} failed: ${redact((err as Error).message, config.apiKey)}\n`);
    process.exit(1);
  }
}

/** Loads the configuration, opens the store, serves, and stops on SIGTERM/SIGINT. Exits on bad configuration (2), an unusable port or another exporter on the same history (1). */
export async function start(entry: Entry): Promise<Running> {
  const config = configure(entry, loadConfig);
  const { log, logStats } = openLog(config);
  for (const warning of config.warnings) log.warn(warning);
  for (const note of config.notes) log.info(note);
  logFdLimit(log, config.parallelism, () => readFileSync("/proc/self/limits", "utf8"));
  const { history, restored } = await openHistory(config, log, entry);
  const exporter = createExporter(config, {
    fetch: clsFetch(config.clsTransport, fetch),
    now: Date.now,
    log,
    build: { version: pkg.version, revision: entry.revision, bunVersion: Bun.version },
    history,
    restored,
    releaseMemory,
    collectGarbage: () => Bun.gc(true),
    secretFs,
    logStats,
    pageBanner: entry.pageBanner,
  });
  let served: ReturnType<typeof listen>;
  try {
    served = listen(config, exporter.app.fetch, log);
  } catch (err) {
    log.error((err as Error).message + (entry.listenHint ? `; ${entry.listenHint}` : ""));
    await history.close();
    process.exit(1);
  }
  exporter.start();
  const { server, url } = served;
  const running: Running = {
    exporter,
    url,
    stop: async () => {
      await Promise.all([server.stop(), exporter.stop()]);
      // After the refresh in flight has ended, so its snapshot is written too.
      await history.close();
    },
    abandon: () => {
      void server.stop(true);
      void history.close();
    },
  };
  log.info("listening", {
    url,
    metrics_path: config.metricsPath,
    org: config.orgName,
    cls: config.baseUrl,
    cls_proxy: describeProxy(config.clsTransport.proxy),
    cls_ca: config.clsTransport.ca === undefined ? "system" : "NVIDIA_API_CA_FILE",
    history: historyName(config),
    auth: authSchemes(config).join("+") || "none",
  });
  if (entry.banner) streamWriter(process.stdout, () => {})(entry.banner(url, config));
  exitOnSignals(running, log, entry.after);
  logUnhandled(log, (text) => {
    const keyless = redact(text, config.apiKey);
    return config.databaseUrl ? scrub(keyless, config.databaseUrl) : keyless;
  });
  reloadOnSignals(exporter, log);
  return running;
}

/** Secret files at run time: the stamp follows symlinks, so a swapped Kubernetes secret mount counts as a change. */
const secretFs = {
  read: (path: string) => readFileSync(path, "utf8"),
  stamp: (path: string) => {
    const s = statSync(path, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}`;
  },
};

/** The logger on stderr. A line stderr cannot take (closed pipe, full disk) is dropped and counted, never fatal. */
function openLog(config: Config): { log: Logger; logStats: LogStats } {
  const logStats: LogStats = { dropped: 0 };
  const write = streamWriter(process.stderr, () => logStats.dropped++);
  return { log: createLogger({ write, level: config.log.level, format: config.log.format }), logStats };
}

/** Where the history is, as the start-up line names it: never the database URL's password. */
function historyName(config: Config): string {
  if (config.databaseUrl) return redactedUrl(config.databaseUrl);
  return config.dbPath === ":memory:" ? "in memory, lost on exit" : config.dbPath;
}

/**
 * The history store of the configured engine, opened (the demo's past back-filled, the last
 * snapshot read) before the port is bound, so the first scrape already has data.
 */
async function openHistory(
  config: Config,
  log: Logger,
  entry: Entry,
): Promise<{ history: HistoryBackend; restored: Snapshot | undefined }> {
  const options = {
    orgName: config.orgName,
    maxGapS: maxGapSeconds(config.cacheTtlMs, config.scrapeTimeoutMs),
    rawRetentionS: config.historyRawRetentionMs / 1000,
    retentionS: config.historyRetentionMs / 1000,
    now: Date.now,
    log,
  };
  if (!config.databaseUrl) {
    const history = openSqliteHistory(config, options, log, entry.historyHint);
    await entry.backfill?.(history, config, log);
    return { history, restored: history.restore() };
  }
  // Loaded only with DATABASE_URL: the PostgreSQL driver stays out of a SQLite exporter.
  const { PgHistoryBackend } = await import("./store/pg/backend.ts");
  const history = await PgHistoryBackend.open({
    ...options,
    url: config.databaseUrl,
    maxWaiting: config.historyMaxWaiting,
    detachAfterMs: config.cacheTtlMs,
  });
  if (entry.backfill) log.info("demo history not back-filled: the demo back-fills a SQLite history only");
  return { history, restored: await history.restore() };
}

/**
 * A database that cannot be used is logged and counted; /metrics is served without it. Another
 * exporter writing this org's history in this file ends the start (exit 1) before anything is
 * written or bound: two writers corrupt history.
 */
function openSqliteHistory(config: Config, options: Omit<StoreOptions, "path">, log: Logger, hint: string | undefined): HistoryStore {
  try {
    return new HistoryStore({
      ...options,
      path: config.dbPath,
      maxWaiting: config.historyMaxWaiting,
      owner: { pid: process.pid, host: hostname(), since: Date.now() },
    });
  } catch (err) {
    if (!(err instanceof OwnerConflict)) throw err;
    log.error(err.message + (hint ? `; ${hint}` : ""));
    process.exit(1);
  }
}

/** What `load` reads of the configuration, or the process ends: --help and --version print and exit 0, a bad setting exits 2. */
function configure<T>(entry: Pick<Entry, "argv" | "env" | "name" | "revision">, load: (sources: ConfigSources) => T): T {
  const request = cliRequest(entry.argv);
  if (request === "help") {
    process.stdout.write(usage());
    process.exit(0);
  }
  if (request === "version") {
    process.stdout.write(`nvidia-license-server-exporter ${pkg.version} (revision ${entry.revision}, Bun ${Bun.version})\n`);
    process.exit(0);
  }
  try {
    return load({ env: entry.env, argv: [...entry.argv], readFile: (p) => readFileSync(p, "utf8"), hostname: hostname() });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${entry.name}: ${err.message}\nRun with --help for every setting.\n`);
    process.exit(2);
  }
}

/**
 * SIGTERM/SIGINT: stop accepting, let requests in flight finish, end the refresh in flight (aborted),
 * make the final OTLP push, close the database, exit 0. Bounded: a hung CLS call, a slow client or a
 * dead collector must not keep the process alive past 8 s (orchestrators kill at 10 s). A second
 * signal exits at once (the database closed first).
 */
function exitOnSignals(running: Running, log: Logger, after: (() => Promise<void>) | undefined): void {
  const FORCE_AFTER_MS = 8_000;
  let stopping = false;
  const exitNow = (why: string, fields: Record<string, string | number>): never => {
    log.warn(why, fields);
    running.abandon();
    process.exit(0);
  };
  const shutdown = (signal: string) => {
    if (stopping) exitNow("second signal; exiting now", { signal });
    stopping = true;
    const started = Date.now();
    log.info("shutting down", { signal });
    const force = setTimeout(() => exitNow("shutdown took too long; exiting now", { after_ms: Date.now() - started }), FORCE_AFTER_MS);
    running
      .stop()
      .then(() => after?.())
      .catch((err) => log.error("shutdown failed", { error: (err as Error).message }))
      .finally(() => {
        clearTimeout(force);
        log.info("stopped", { after_ms: Date.now() - started });
        process.exit(0);
      });
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

/**
 * A promise rejected with no handler (a bug, here or in a library) is logged with its stack, the
 * key and the database URL's password taken out, and the exporter goes on serving: Bun would otherwise end the process, and with it
 * /metrics for every scraper, over one lost background task.
 */
function logUnhandled(log: Logger, clean: (text: string) => string): void {
  process.on("unhandledRejection", (reason) => {
    const err = reason instanceof Error ? reason : new Error(String(reason));
    log.error("unexpected error (a bug, please report it); the exporter goes on", {
      error: clean(err.message),
      stack: clean(String(err.stack ?? "").slice(0, 2_000)),
    });
  });
}

/**
 * SIGHUP re-reads what can change without rebinding the port (secret files, basic-auth users);
 * SIGUSR1 and SIGUSR2, which would otherwise end the process at once, are logged and ignored.
 */
function reloadOnSignals(exporter: Exporter, log: Logger): void {
  process.on("SIGHUP", () => {
    try {
      exporter.reload();
    } catch (err) {
      log.error("reload failed; the previous credentials are kept", { error: (err as Error).message });
    }
  });
  for (const signal of ["SIGUSR1", "SIGUSR2"] as const) process.on(signal, () => log.info("signal ignored", { signal }));
}
