import { parseArgs } from "node:util";
import { z } from "zod";
import { parseDuration } from "./duration.ts";
import { ConfigError } from "./errors.ts";

/**
 * The single home of configuration: every variable, its flag, its default and its documentation.
 * The README table is generated from SETTINGS (test/readme.test.ts fails when they drift).
 */
export interface Setting {
  env: string;
  flag: string;
  default?: string;
  doc: string;
  /** Never echoed in errors, logs or help. */
  secret?: boolean;
}

const DEFAULT_LISTEN = ":9844";

export const SETTINGS = [
  { env: "NVIDIA_API_KEY", flag: "nvidia-api-key", secret: true, doc: "CLS API key with access type *Licensing State*. Required unless `NVIDIA_API_KEY_FILE` is set. Prefer the env or the file: a flag shows in the process list." },
  { env: "NVIDIA_API_KEY_FILE", flag: "nvidia-api-key-file", doc: "File holding the API key (for mounted secrets); surrounding whitespace is ignored. Wins over `NVIDIA_API_KEY`." },
  { env: "NVIDIA_ORG_NAME", flag: "nvidia-org-name", doc: "CLS organisation name (the `{org-name}` in the API paths). Required." },
  { env: "NVIDIA_API_BASE_URL", flag: "nvidia-api-base-url", default: "https://api.licensing.nvidia.com", doc: "CLS API base URL (http or https)." },
  { env: "NVIDIA_SERVICE_INSTANCE_ID", flag: "nvidia-service-instance-id", doc: "Sent as `x-nv-service-instance-id` on calls that have no per-server instance id." },
  { env: "LISTEN_ADDRESS", flag: "listen-address", default: DEFAULT_LISTEN, doc: "`host:port` to listen on; an empty host means all interfaces. When unset and `PORT` is set (Railway, Heroku), `:$PORT`." },
  { env: "METRICS_PATH", flag: "metrics-path", default: "/metrics", doc: "Path of the Prometheus endpoint." },
  { env: "SCRAPE_TIMEOUT", flag: "scrape-timeout", default: "20s", doc: "Upper bound of one refresh of all CLS data, and of how long a scrape waits when no snapshot exists yet." },
  { env: "CACHE_TTL", flag: "cache-ttl", default: "60s", doc: "How long a snapshot stays fresh; the background refresh runs this often." },
  { env: "PARALLELISM", flag: "parallelism", default: "8", doc: "Most CLS calls in flight at once (1–64)." },
] as const satisfies readonly Setting[];

type Env = Record<string, string | undefined>;

/** Timers hold at most 2^31-1 ms (24.8 days); a longer one fires at once. */
const MAX_DURATION_MS = 596 * 3_600_000;

const duration = (min: number) =>
  z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) ctx.addIssue({ code: "custom", message: `"${text}" is not a duration (use e.g. 250ms, 20s, 5m, 1h30m)` });
    else if (ms < min) ctx.addIssue({ code: "custom", message: `must be at least ${min}ms, got "${text}"` });
    else if (ms > MAX_DURATION_MS) ctx.addIssue({ code: "custom", message: `must be at most 596h, got "${text}"` });
    return ms ?? 0;
  });

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
  .refine((p) => p !== "/" && p !== "/healthz", "must not be / or /healthz, which the exporter serves itself");

const nonEmpty = z.string().trim().min(1, { error: "must not be empty", abort: true });

const schema = z.object({
  NVIDIA_API_KEY: nonEmpty.optional(),
  NVIDIA_API_KEY_FILE: nonEmpty.optional(),
  NVIDIA_ORG_NAME: nonEmpty.regex(/^[^/?#\s]+$/, "must not hold /, ?, # or spaces"),
  NVIDIA_API_BASE_URL: baseUrl,
  NVIDIA_SERVICE_INSTANCE_ID: nonEmpty.optional(),
  LISTEN_ADDRESS: listenAddress,
  METRICS_PATH: metricsPath,
  SCRAPE_TIMEOUT: duration(100),
  CACHE_TTL: duration(1_000),
  PARALLELISM: integer(1, 64),
});

export interface Config {
  apiKey: string;
  orgName: string;
  baseUrl: string;
  serviceInstanceId: string | undefined;
  listen: ListenAddress;
  metricsPath: string;
  scrapeTimeoutMs: number;
  cacheTtlMs: number;
  parallelism: number;
  /** Settings that deserve a warning at start-up (e.g. the key given as a flag). */
  warnings: string[];
}

export interface ConfigSources {
  env: Env;
  argv: readonly string[];
  /** Reads NVIDIA_API_KEY_FILE; injected so config stays free of side effects. */
  readFile: (path: string) => string;
}

/** Flags beat env; the result keyed by env name. Accepts `-flag`, `--flag`, `-flag=v` and `-flag v`. */
function readFlags(argv: readonly string[], problems: string[]): Env {
  const options = Object.fromEntries(SETTINGS.map((s) => [s.flag, { type: "string" as const }]));
  const args = doubleDashed(argv);
  // Not strict, so that one bad flag does not hide the other problems; we check what strict would.
  const { values, positionals } = parseArgs({ args, options, strict: false, allowPositionals: true });
  const known = new Map<string, string>(SETTINGS.map((s) => [s.flag, s.env]));
  const out: Env = {};
  for (const [flag, value] of Object.entries(values)) {
    const env = known.get(flag);
    if (env === undefined) problems.push(`flags: unknown flag -${flag} (see --help)`);
    else if (typeof value !== "string") problems.push(`${env}: flag -${flag} needs a value`);
    else out[env] = value;
  }
  // Never quoted: a stray argument is often a value (the key, even) after a mistyped flag.
  if (positionals.length > 0) problems.push(`flags: ${positionals.length} unexpected argument(s) that belong to no flag (values must follow their flag)`);
  return out;
}

/** `-flag` → `--flag` for node's parseArgs; a value that follows a flag is left as it is. */
function doubleDashed(argv: readonly string[]): string[] {
  let awaitingValue = false;
  return argv.map((arg) => {
    if (awaitingValue) {
      awaitingValue = false;
      return arg;
    }
    const m = /^--?([a-z][a-z0-9-]*)(=.*)?$/.exec(arg);
    if (!m) return arg;
    awaitingValue = m[2] === undefined && SETTINGS.some((s) => s.flag === m[1]);
    return arg.startsWith("--") ? arg : `-${arg}`;
  });
}

function mergeInput(sources: ConfigSources, flags: Env): Env {
  const input: Env = {};
  for (const s of SETTINGS) {
    const raw = flags[s.env] ?? sources.env[s.env];
    input[s.env] = raw ?? ("default" in s ? s.default : undefined);
  }
  input.LISTEN_ADDRESS = listenInput(sources.env, flags.LISTEN_ADDRESS);
  return input;
}

/** LISTEN_ADDRESS as given, else `:$PORT` (Railway, Heroku), else the default. */
function listenInput(env: Env, flag: string | undefined): string {
  return flag ?? env.LISTEN_ADDRESS ?? (env.PORT !== undefined ? `:${env.PORT}` : DEFAULT_LISTEN);
}

/** A URL for reaching a listener from this host: a wildcard address becomes 127.0.0.1. */
export function localBaseUrl(hostname: string | undefined, port: number): string {
  const host = !hostname || hostname === "0.0.0.0" || hostname === "::" ? "127.0.0.1" : hostname;
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** Where the exporter listens, from the environment alone (for the container health check). */
export function listenFromEnv(env: Env): ListenAddress | undefined {
  const r = listenAddress.safeParse(listenInput(env, undefined));
  return r.success ? r.data : undefined;
}

/** The key from its file (which wins) or the variable; empty after a problem was recorded. */
function resolveKey(input: Env, sources: ConfigSources, problems: string[]): string {
  const file = input.NVIDIA_API_KEY_FILE?.trim();
  if (file) {
    try {
      const key = sources.readFile(file).trim();
      if (key) return checkKey("NVIDIA_API_KEY_FILE: the file's content", key, problems);
      problems.push("NVIDIA_API_KEY_FILE: the file is empty");
    } catch (err) {
      // The path is not quoted: pasted by mistake, it would be the key itself.
      const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
      problems.push(`NVIDIA_API_KEY_FILE: cannot read the file (${code})`);
    }
    return "";
  }
  const key = input.NVIDIA_API_KEY?.trim();
  if (key) return checkKey("NVIDIA_API_KEY", key, problems);
  if (input.NVIDIA_API_KEY === undefined) problems.push("NVIDIA_API_KEY: required (or set NVIDIA_API_KEY_FILE)");
  return "";
}

/** A key that cannot travel in an HTTP header would fail every call; say so at start-up instead. */
function checkKey(what: string, key: string, problems: string[]): string {
  if (/^[\x21-\x7e]+$/.test(key)) return key;
  problems.push(`${what} must be printable ASCII without spaces or line breaks`);
  return "";
}

/** Parses env + flags; throws one ConfigError naming every bad variable. Never logs. */
export function loadConfig(sources: ConfigSources): Config {
  const problems: string[] = [];
  const flags = readFlags(sources.argv, problems);
  const input = mergeInput(sources, flags);
  const result = schema.safeParse(input.NVIDIA_API_KEY_FILE === undefined ? input : { ...input, NVIDIA_API_KEY: undefined });
  if (!result.success) {
    for (const issue of result.error.issues) {
      const name = String(issue.path[0] ?? "config");
      // Messages quote the offending value only for non-secret settings (their schemas do, the key's does not).
      problems.push(`${name}: ${issue.code === "invalid_type" ? "required" : issue.message}`);
    }
  }
  const apiKey = resolveKey(input, sources, problems);
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  const d = result.data;
  return {
    apiKey,
    orgName: d.NVIDIA_ORG_NAME,
    baseUrl: d.NVIDIA_API_BASE_URL,
    serviceInstanceId: d.NVIDIA_SERVICE_INSTANCE_ID,
    listen: d.LISTEN_ADDRESS,
    metricsPath: d.METRICS_PATH,
    scrapeTimeoutMs: d.SCRAPE_TIMEOUT,
    cacheTtlMs: d.CACHE_TTL,
    parallelism: d.PARALLELISM,
    warnings: warningsFor(d.NVIDIA_API_BASE_URL, flags),
  };
}

function warningsFor(baseUrl: string, flags: Env): string[] {
  const warnings: string[] = [];
  if (flags.NVIDIA_API_KEY !== undefined) warnings.push("the API key was given as a flag, which any user can read in the process list; prefer NVIDIA_API_KEY or NVIDIA_API_KEY_FILE");
  const url = new URL(baseUrl);
  const loopback = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(url.hostname);
  if (url.protocol === "http:" && !loopback) warnings.push(`NVIDIA_API_BASE_URL is plain http to ${url.host}: the API key travels unencrypted`);
  return warnings;
}

/** `--help` text, generated like the README table. */
export function usage(): string {
  const lines = SETTINGS.map((s) => {
    const def = "default" in s ? ` (default ${s.default})` : "";
    return `  -${s.flag}  env ${s.env}${def}\n      ${s.doc.replaceAll("`", "")}`;
  });
  return `Usage: bun run src/index.ts [flags]\n\nEvery flag may also be given as its environment variable; a flag wins.\n\n${lines.join("\n")}\n`;
}
