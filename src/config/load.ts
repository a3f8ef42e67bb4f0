import { z } from "zod";
import { parseDuration } from "../duration.ts";
import { ConfigError } from "../errors.ts";
import { FORMATS, LEVELS, type Level, type LogFormat } from "../log.ts";
import { readErrorCode } from "./files.ts";
import { readFlags } from "./flags.ts";
import { firstSet, type OtlpConfig, otlpConfig } from "./otlp.ts";
import { DB_FILE_NAME, DEFAULT_DB_PATH, DEFAULT_LISTEN, SETTINGS } from "./settings.ts";
import { loadWebConfig, type WebConfig } from "./web-config.ts";

type Env = Record<string, string | undefined>;

/** Timers hold at most 2^31-1 ms (24.8 days); a longer one fires at once. */
const MAX_DURATION_MS = 596 * 3_600_000;

const HOUR_MS = 3_600_000;

const duration = (min: number, max = MAX_DURATION_MS, maxText = "596h") =>
  z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) ctx.addIssue({ code: "custom", message: `"${text}" is not a duration (use e.g. 250ms, 20s, 5m, 1h30m, 8d)` });
    else if (ms < min)
      ctx.addIssue({ code: "custom", message: `must be at least ${min >= HOUR_MS ? `${min / HOUR_MS}h` : `${min}ms`}, got "${text}"` });
    else if (ms > max) ctx.addIssue({ code: "custom", message: `must be at most ${maxText}, got "${text}"` });
    return ms ?? 0;
  });

/** History retention is not a timer, so it may exceed the 596h timer bound. */
const retention = duration(HOUR_MS, 3650 * 24 * HOUR_MS, "3650d");

const integer = (min: number, max: number) =>
  z.string().transform((text, ctx) => {
    const n = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!(n >= min && n <= max)) ctx.addIssue({ code: "custom", message: `must be a whole number from ${min} to ${max}, got "${text}"` });
    return n;
  });

const baseUrl = z.string().transform((text, ctx) => {
  const url = URL.parse(text);
  if (url && (url.username || url.password)) {
    // Credentials in the URL would be logged with it; CLS authenticates with the API key anyway.
    ctx.addIssue({ code: "custom", message: "must not contain a user name or password" });
    return "";
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.search || url.hash) {
    ctx.addIssue({ code: "custom", message: `must be an http(s) URL without query, got "${text}"` });
    return "";
  }
  return url.href.replace(/\/+$/, "");
});

export interface ListenAddress {
  /** undefined: every interface. */
  hostname: string | undefined;
  port: number;
}

const listenAddress = z.string().transform((text, ctx): ListenAddress => {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]*)):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || port > 65_535) {
    ctx.addIssue({ code: "custom", message: `must be host:port, :port or [ipv6]:port with a port of 0-65535, got "${text}"` });
    return { hostname: undefined, port: 0 };
  }
  return { hostname: m[1] ?? (m[2] || undefined), port };
});

const metricsPath = z
  .string()
  .regex(/^\/[A-Za-z0-9._~\-/]*$/, "must start with / and hold only URL path characters")
  .refine(
    (p) => p !== "/" && p !== "/healthz" && p !== "/history",
    "must not be /, /healthz or /history, which the exporter serves itself",
  );

const nonEmpty = z.string().trim().min(1, { error: "must not be empty", abort: true });

/** One of `values`, trimmed and case-insensitive; `expected` says which in the error. */
const oneOf = <T extends string>(values: readonly T[], expected: string) =>
  z.string().transform((text, ctx) => {
    const v = text.trim().toLowerCase();
    if (!(values as readonly string[]).includes(v)) ctx.addIssue({ code: "custom", message: `must be ${expected}, got "${text}"` });
    return v as T;
  });

const bool = oneOf(["true", "false"], "true or false").transform((v) => v === "true");

const schema = z.object({
  NVIDIA_API_KEY: nonEmpty.optional(),
  NVIDIA_API_KEY_FILE: nonEmpty.optional(),
  NVIDIA_ORG_NAME: nonEmpty.regex(/^[^/?#\s]+$/, "must not hold /, ?, # or spaces"),
  NVIDIA_API_BASE_URL: baseUrl,
  NVIDIA_SERVICE_INSTANCE_ID: nonEmpty.optional(),
  LISTEN_ADDRESS: listenAddress,
  METRICS_PATH: metricsPath,
  WEB_CONFIG_FILE: nonEmpty.optional(),
  AUTH_BEARER_TOKEN: nonEmpty.optional(),
  AUTH_BEARER_TOKEN_FILE: nonEmpty.optional(),
  LOG_LEVEL: oneOf(LEVELS, `one of ${LEVELS.join(", ")}`),
  LOG_FORMAT: oneOf(FORMATS, FORMATS.join(" or ")),
  SCRAPE_TIMEOUT: duration(100),
  CACHE_TTL: duration(1_000),
  PARALLELISM: integer(1, 64),
  DB_PATH: nonEmpty,
  HISTORY_RAW_RETENTION: retention,
  HISTORY_RETENTION: retention,
  OTEL_ENABLED: bool,
  OTEL_ENDPOINT: nonEmpty,
  OTEL_SERVICE_NAME: nonEmpty.optional(),
  OTEL_SERVICE_INSTANCE_ID: nonEmpty.optional(),
  OTEL_INSECURE: bool.optional(),
  OTEL_PUSH_INTERVAL: duration(1_000),
});

export interface Config {
  apiKey: string;
  orgName: string;
  baseUrl: string;
  serviceInstanceId: string | undefined;
  listen: ListenAddress;
  metricsPath: string;
  /** From WEB_CONFIG_FILE; undefined when unset. */
  web: WebConfig | undefined;
  /** AUTH_BEARER_TOKEN(_FILE); never logged. */
  bearerToken: string | undefined;
  log: { level: Level; format: LogFormat };
  scrapeTimeoutMs: number;
  cacheTtlMs: number;
  parallelism: number;
  /** SQLite file, or ":memory:". */
  dbPath: string;
  historyRawRetentionMs: number;
  historyRetentionMs: number;
  /** Present when OTEL_ENABLED is true. */
  otlp: OtlpConfig | undefined;
  /** Settings that deserve a warning at start-up (e.g. the key given as a flag). */
  warnings: string[];
}

export interface ConfigSources {
  env: Env;
  argv: readonly string[];
  /** Reads NVIDIA_API_KEY_FILE; injected so config stays free of side effects. */
  readFile: (path: string) => string;
  /** The default service.instance.id of OTLP pushes. */
  hostname?: string;
}

function mergeInput(sources: ConfigSources, flags: Env): Env {
  const input: Env = {};
  for (const s of SETTINGS) {
    const raw = flags[s.env] ?? sources.env[s.env] ?? firstSet(sources.env, "fallback" in s ? s.fallback : [])?.value;
    input[s.env] = raw ?? ("default" in s ? s.default : undefined);
  }
  input.LISTEN_ADDRESS = listenInput(sources.env, flags.LISTEN_ADDRESS);
  input.DB_PATH = flags.DB_PATH ?? sources.env.DB_PATH ?? dbPathOnVolume(sources.env) ?? DEFAULT_DB_PATH;
  return input;
}

/** LISTEN_ADDRESS as given, else `:$PORT` (Railway, Heroku), else the default. */
function listenInput(env: Env, flag: string | undefined): string {
  return flag ?? env.LISTEN_ADDRESS ?? (env.PORT !== undefined ? `:${env.PORT}` : DEFAULT_LISTEN);
}

/** On Railway a mounted volume is the only storage that outlives a redeploy. */
function dbPathOnVolume(env: Env): string | undefined {
  const mount = env.RAILWAY_VOLUME_MOUNT_PATH?.trim();
  return mount ? `${mount.replace(/\/+$/, "")}/${DB_FILE_NAME}` : undefined;
}

/** A URL for reaching a listener from this host: a wildcard address becomes 127.0.0.1. */
export function localBaseUrl(hostname: string | undefined, port: number, scheme: "http" | "https" = "http"): string {
  const host = localHost(hostname);
  return `${scheme}://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** The host to reach a listener on from this host: a wildcard address becomes 127.0.0.1. */
export function localHost(hostname: string | undefined): string {
  return !hostname || hostname === "0.0.0.0" || hostname === "::" ? "127.0.0.1" : hostname;
}

/** Which credentials the endpoints accept: none (open), basic-auth users, a bearer token, or both. */
export function authSchemes(c: Pick<Config, "web" | "bearerToken">): ("basic" | "bearer")[] {
  return [...((c.web?.users.size ?? 0) > 0 ? (["basic"] as const) : []), ...(c.bearerToken !== undefined ? (["bearer"] as const) : [])];
}

/** Where the exporter listens, from the environment alone (for the container health check). */
export function listenFromEnv(env: Env): ListenAddress | undefined {
  const r = listenAddress.safeParse(listenInput(env, undefined));
  return r.success ? r.data : undefined;
}

/**
 * A secret from its file (which wins) or its variable; empty after a problem was recorded. Neither
 * the secret nor the file's path is quoted: pasted by mistake, the path would be the secret itself.
 */
function resolveSecret(name: "NVIDIA_API_KEY" | "AUTH_BEARER_TOKEN", input: Env, sources: ConfigSources, problems: string[]): string {
  const fileVar = `${name}_FILE`;
  const file = input[fileVar]?.trim();
  if (file) {
    try {
      const secret = sources.readFile(file).trim();
      if (secret) return checkSecret(`${fileVar}: the file's content`, secret, problems);
      problems.push(`${fileVar}: the file is empty`);
    } catch (err) {
      problems.push(`${fileVar}: cannot read the file (${readErrorCode(err)})`);
    }
    return "";
  }
  const secret = input[name]?.trim();
  return secret ? checkSecret(name, secret, problems) : "";
}

/** A secret that cannot travel in an HTTP header would fail every call; say so at start-up instead. */
function checkSecret(what: string, secret: string, problems: string[]): string {
  if (/^[\x21-\x7e]+$/.test(secret)) return secret;
  problems.push(`${what} must be printable ASCII without spaces or line breaks`);
  return "";
}

/** Parses env + flags; throws one ConfigError naming every bad variable. Never logs. */
export function loadConfig(sources: ConfigSources): Config {
  const problems: string[] = [];
  const flags = readFlags(sources.argv, problems);
  const input = mergeInput(sources, flags);
  const result = schema.safeParse({
    ...input,
    ...(input.NVIDIA_API_KEY_FILE === undefined ? {} : { NVIDIA_API_KEY: undefined }),
    ...(input.AUTH_BEARER_TOKEN_FILE === undefined ? {} : { AUTH_BEARER_TOKEN: undefined }),
  });
  if (!result.success) {
    for (const issue of result.error.issues) {
      const name = String(issue.path[0] ?? "config");
      // Messages quote the offending value only for non-secret settings (their schemas do, the key's does not).
      problems.push(`${name}: ${issue.code === "invalid_type" ? "required" : issue.message}`);
    }
  }
  const apiKey = resolveSecret("NVIDIA_API_KEY", input, sources, problems);
  if (!apiKey && input.NVIDIA_API_KEY === undefined && input.NVIDIA_API_KEY_FILE === undefined)
    problems.push("NVIDIA_API_KEY: required (or set NVIDIA_API_KEY_FILE)");
  const bearerToken = resolveSecret("AUTH_BEARER_TOKEN", input, sources, problems) || undefined;
  const web =
    result.success && result.data.WEB_CONFIG_FILE ? loadWebConfig(result.data.WEB_CONFIG_FILE, sources.readFile, problems) : undefined;
  if (result.success && result.data.HISTORY_RAW_RETENTION > result.data.HISTORY_RETENTION) {
    problems.push(
      `HISTORY_RETENTION: must be at least HISTORY_RAW_RETENTION ("${input.HISTORY_RAW_RETENTION}"), got "${input.HISTORY_RETENTION}"`,
    );
  }
  // Standard OTEL_EXPORTER_* variables may be meant for other software in the same environment:
  // they are read (and can stop start-up) only when push is enabled.
  const otlp =
    result.success && result.data.OTEL_ENABLED
      ? otlpConfig(
          {
            endpoint: result.data.OTEL_ENDPOINT,
            insecure: result.data.OTEL_INSECURE,
            serviceName: result.data.OTEL_SERVICE_NAME,
            serviceInstanceId: result.data.OTEL_SERVICE_INSTANCE_ID,
            intervalMs: result.data.OTEL_PUSH_INTERVAL,
            orgName: result.data.NVIDIA_ORG_NAME,
            hostname: sources.hostname ?? "unknown",
          },
          sources.env,
          sources.readFile,
          problems,
        )
      : undefined;
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  const d = result.data;
  return {
    apiKey,
    orgName: d.NVIDIA_ORG_NAME,
    baseUrl: d.NVIDIA_API_BASE_URL,
    serviceInstanceId: d.NVIDIA_SERVICE_INSTANCE_ID,
    listen: d.LISTEN_ADDRESS,
    metricsPath: d.METRICS_PATH,
    web,
    bearerToken,
    log: { level: d.LOG_LEVEL, format: d.LOG_FORMAT },
    scrapeTimeoutMs: d.SCRAPE_TIMEOUT,
    cacheTtlMs: d.CACHE_TTL,
    parallelism: d.PARALLELISM,
    dbPath: d.DB_PATH,
    historyRawRetentionMs: d.HISTORY_RAW_RETENTION,
    historyRetentionMs: d.HISTORY_RETENTION,
    otlp,
    warnings: warningsFor(d.NVIDIA_API_BASE_URL, flags, otlp, { listen: d.LISTEN_ADDRESS, web, bearerToken }),
  };
}

/** localhost, 127.x.x.x or ::1 (bracketed as in a URL, or not as in LISTEN_ADDRESS). */
const isLoopbackHost = (host: string) => /^(localhost|127\.\d+\.\d+\.\d+|\[?::1\]?)$/.test(host);
const isLoopback = (url: URL) => isLoopbackHost(url.hostname);

interface Served {
  listen: ListenAddress;
  web: WebConfig | undefined;
  bearerToken: string | undefined;
}

function warningsFor(baseUrl: string, flags: Env, otlp: OtlpConfig | undefined, served: Served): string[] {
  const warnings: string[] = [];
  if (flags.NVIDIA_API_KEY !== undefined)
    warnings.push(
      "the API key was given as a flag, which any user can read in the process list; prefer NVIDIA_API_KEY or NVIDIA_API_KEY_FILE",
    );
  if (flags.AUTH_BEARER_TOKEN !== undefined)
    warnings.push(
      "the bearer token was given as a flag, which any user can read in the process list; prefer AUTH_BEARER_TOKEN or AUTH_BEARER_TOKEN_FILE",
    );
  if (served.bearerToken !== undefined && served.bearerToken.length < 16)
    warnings.push(
      `the bearer token is ${served.bearerToken.length} characters long; use at least 16 random ones (e.g. openssl rand -hex 24)`,
    );
  const credentials = authSchemes(served).length > 0;
  const host = served.listen.hostname;
  if (credentials && !served.web?.tls && !(host && isLoopbackHost(host))) {
    warnings.push(
      "basic auth or a bearer token is configured without tls_server_config: credentials travel unencrypted; add TLS in WEB_CONFIG_FILE or terminate TLS in front of the exporter",
    );
  }
  const url = new URL(baseUrl);
  if (url.protocol === "http:" && !isLoopback(url))
    warnings.push(`NVIDIA_API_BASE_URL is plain http to ${url.host}: the API key travels unencrypted`);
  const collector = otlp && new URL(otlp.url);
  if (otlp && collector && otlp.insecure && otlp.headers.length > 0 && !isLoopback(collector)) {
    warnings.push(
      `OTLP push to ${collector.host} is plaintext: the OTEL_EXPORTER_OTLP_HEADERS values travel unencrypted; set OTEL_INSECURE=false to use TLS`,
    );
  }
  return warnings;
}
