/** How the environment, the command line and the files they name become one Config, or one ConfigError. */
import type { ClsLimits } from "../cls/limits.ts";
import { ConfigError } from "../errors.ts";
import type { Level, LogFormat } from "../log.ts";
import { databaseUrl as databaseUrlOf } from "./database.ts";
import { type Flags, readFlags } from "./flags.ts";
import { checkRetentions, dbPathInput } from "./history.ts";
import { type ListenAddress, listenInput } from "./listen.ts";
import { type OtlpConfig, type OtlpInput, otlpConfig } from "./otlp.ts";
import { type Env, firstSet, type Named } from "./primitives.ts";
import { type Settings, settingsSchema } from "./schema.ts";
import { resolveSecret } from "./secrets.ts";
import { SETTINGS } from "./settings.ts";
import { type ClsTransport, checkTlsVerification, clsTransport } from "./transport.ts";
import { warningsFor } from "./warnings.ts";
import { loadWebConfig, type WebConfig } from "./web-config.ts";

export interface Config {
  apiKey: string;
  orgName: string;
  baseUrl: string;
  /** How CLS calls are made: trusted CAs and proxy (from the standard variables). */
  clsTransport: ClsTransport;
  serviceInstanceId: string | undefined;
  listen: ListenAddress;
  metricsPath: string;
  /** From WEB_CONFIG_FILE; undefined when unset. */
  web: WebConfig | undefined;
  /** AUTH_BEARER_TOKEN(_FILE); never logged. */
  bearerToken: string | undefined;
  /** The files the secrets and the web configuration came from: re-read when they change (secrets) or on SIGHUP. */
  files: { apiKey: string | undefined; bearerToken: string | undefined; webConfig: string | undefined };
  log: { level: Level; format: LogFormat };
  scrapeTimeoutMs: number;
  cacheTtlMs: number;
  parallelism: number;
  /** CLS_MAX_*: what one CLS answer may hold. */
  clsLimits: ClsLimits;
  /** SQLite file, or ":memory:"; not used when databaseUrl is set. */
  dbPath: string;
  /** DATABASE_URL when it names PostgreSQL: the history is kept there (a secret: log it only through redactedUrl). */
  databaseUrl: string | undefined;
  historyRawRetentionMs: number;
  historyRetentionMs: number;
  /** HISTORY_MAX_WAITING: /history queries that may wait per lane. */
  historyMaxWaiting: number;
  /** Present when OTEL_ENABLED is true. */
  otlp: OtlpConfig | undefined;
  /** Settings that deserve a warning at start-up (e.g. the key given as a flag). */
  warnings: string[];
  /** Settings worth one info line at start-up (e.g. a DATABASE_URL of another scheme, ignored). */
  notes: string[];
}

export interface ConfigSources {
  env: Env;
  argv: readonly string[];
  /** Reads NVIDIA_API_KEY_FILE; injected so config stays free of side effects. */
  readFile: (path: string) => string;
  /** The default service.instance.id of OTLP pushes. */
  hostname?: string;
}

/** Each setting from its flag, else its variable, else its standard fallbacks, else its default. */
function mergeInput(sources: ConfigSources, flags: Flags): Env {
  const input: Env = {};
  for (const s of SETTINGS) {
    const raw = flags[s.env]?.value ?? sources.env[s.env] ?? firstSet(sources.env, "fallback" in s ? s.fallback : [])?.value;
    input[s.env] = raw ?? ("default" in s ? s.default : undefined);
  }
  input.LISTEN_ADDRESS = listenInput(sources.env, flags.LISTEN_ADDRESS?.value);
  input.DB_PATH = dbPathInput(sources.env, flags.DB_PATH?.value);
  return input;
}

/** The settings through their schema; undefined after the problems were recorded. */
function parseSettings(input: Env, named: Named, problems: string[]): Settings | undefined {
  const result = settingsSchema.safeParse({
    ...input,
    // A secret's file wins over its variable, which is then not checked at all.
    ...(input.NVIDIA_API_KEY_FILE === undefined ? {} : { NVIDIA_API_KEY: undefined }),
    ...(input.AUTH_BEARER_TOKEN_FILE === undefined ? {} : { AUTH_BEARER_TOKEN: undefined }),
  });
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const name = named(String(issue.path[0] ?? "config"));
    // Messages quote the offending value only for non-secret settings (their schemas do, the key's does not).
    problems.push(`${name}: ${issue.code === "invalid_type" ? "required" : issue.message}`);
  }
  return undefined;
}

function otlpInput(d: Settings, hostname: string | undefined, named: Named): OtlpInput {
  return {
    endpoint: d.OTEL_ENDPOINT,
    insecure: d.OTEL_INSECURE,
    serviceName: d.OTEL_SERVICE_NAME,
    serviceInstanceId: d.OTEL_SERVICE_INSTANCE_ID,
    intervalMs: d.OTEL_PUSH_INTERVAL,
    orgName: d.NVIDIA_ORG_NAME,
    hostname: hostname ?? "unknown",
    names: { endpoint: named("OTEL_ENDPOINT"), insecure: named("OTEL_INSECURE") },
  };
}

type Resolved = Pick<Config, "apiKey" | "web" | "bearerToken" | "otlp" | "warnings" | "notes" | "clsTransport" | "databaseUrl">;

function assemble(d: Settings, r: Resolved): Config {
  return {
    ...r,
    orgName: d.NVIDIA_ORG_NAME,
    baseUrl: d.NVIDIA_API_BASE_URL,
    serviceInstanceId: d.NVIDIA_SERVICE_INSTANCE_ID,
    listen: d.LISTEN_ADDRESS,
    metricsPath: d.METRICS_PATH,
    log: { level: d.LOG_LEVEL, format: d.LOG_FORMAT },
    scrapeTimeoutMs: d.SCRAPE_TIMEOUT,
    cacheTtlMs: d.CACHE_TTL,
    parallelism: d.PARALLELISM,
    clsLimits: {
      maxResponseBytes: d.CLS_MAX_RESPONSE_BYTES,
      maxInflatedBytes: d.CLS_MAX_INFLATED_BYTES,
      maxItems: d.CLS_MAX_ITEMS,
      maxPages: d.CLS_MAX_PAGES,
      maxStringLength: d.CLS_MAX_STRING_LENGTH,
    },
    dbPath: d.DB_PATH,
    historyRawRetentionMs: d.HISTORY_RAW_RETENTION,
    historyRetentionMs: d.HISTORY_RETENTION,
    historyMaxWaiting: d.HISTORY_MAX_WAITING,
    files: { apiKey: d.NVIDIA_API_KEY_FILE, bearerToken: d.AUTH_BEARER_TOKEN_FILE, webConfig: d.WEB_CONFIG_FILE },
  };
}

/**
 * Where the history is, and nothing else: DB_PATH as the exporter reads it (its flag, its variable,
 * the Railway volume, the default). For --backup-history, which copies every org's history and calls
 * no CLS, so it runs where no API key or org name is at hand. The other settings' flags are accepted
 * (the exporter's own command line works) but not read; unknown flags and stray arguments are refused.
 */
export function loadDbPath(sources: Pick<ConfigSources, "env" | "argv">): string {
  const problems: string[] = [];
  const flags = readFlags(sources.argv, problems);
  const path = settingsSchema.shape.DB_PATH.safeParse(dbPathInput(sources.env, flags.DB_PATH?.value));
  if (!path.success) problems.push(`${flags.DB_PATH?.typed ?? "DB_PATH"}: ${path.error.issues[0]?.message ?? "invalid"}`);
  if (problems.length > 0 || !path.success) throw new ConfigError(problems);
  return path.data;
}

/**
 * Parses env + flags; throws one ConfigError naming every bad setting (by its flag as typed when it
 * came from one, else by its variable). Never logs.
 */
export function loadConfig(sources: ConfigSources): Config {
  const problems: string[] = [];
  const flags = readFlags(sources.argv, problems);
  const named: Named = (env) => flags[env]?.typed ?? env;
  const input = mergeInput(sources, flags);
  const d = parseSettings(input, named, problems);
  const apiKey = resolveSecret("NVIDIA_API_KEY", input, named, sources.readFile, problems);
  if (!apiKey && input.NVIDIA_API_KEY === undefined && input.NVIDIA_API_KEY_FILE === undefined)
    problems.push("NVIDIA_API_KEY: required (or set NVIDIA_API_KEY_FILE)");
  const bearerToken = resolveSecret("AUTH_BEARER_TOKEN", input, named, sources.readFile, problems) || undefined;
  const web = d?.WEB_CONFIG_FILE ? loadWebConfig(d.WEB_CONFIG_FILE, sources.readFile, problems, named("WEB_CONFIG_FILE")) : undefined;
  const notes: string[] = [];
  const databaseUrl = databaseUrlOf(sources.env, flags, named, problems, notes);
  if (d) checkRetentions(d.HISTORY_RAW_RETENTION, d.HISTORY_RETENTION, input, named, problems);
  checkTlsVerification(sources.env, problems);
  const transport = d && clsTransport(d.NVIDIA_API_BASE_URL, d.NVIDIA_API_CA_FILE, sources.env, sources.readFile, named, problems);
  // Standard OTEL_EXPORTER_* variables may be meant for other software in the same environment:
  // they are read (and can stop start-up) only when push is enabled.
  const otlp = d?.OTEL_ENABLED ? otlpConfig(otlpInput(d, sources.hostname, named), sources.env, sources.readFile, problems) : undefined;
  if (problems.length > 0 || !d || !transport) throw new ConfigError(problems);
  const served = { listen: d.LISTEN_ADDRESS, web, bearerToken };
  const warnings = warningsFor(d.NVIDIA_API_BASE_URL, flags, otlp, served);
  return assemble(d, { apiKey, web, bearerToken, otlp, warnings, notes, clsTransport: transport, databaseUrl });
}
