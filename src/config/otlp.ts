import { isIP } from "node:net";
import { readPem } from "./files.ts";
import { DEFAULT_OTEL_SERVICE_NAME } from "./settings.ts";

type Env = Record<string, string | undefined>;

/** What the OTLP pusher needs; present only when OTEL_ENABLED is true. */
export interface OtlpConfig {
  /** `http://host:port` (plaintext) or `https://host:port` (TLS), as the gRPC exporter takes it. */
  url: string;
  insecure: boolean;
  /** gRPC metadata. Values are secrets: never log them. */
  headers: ReadonlyArray<readonly [string, string]>;
  timeoutMs: number;
  compression: "gzip" | "none";
  /** PEM text read at start-up, so a missing file stops start-up instead of every push. */
  tls: { ca?: string; key?: string; cert?: string };
  /** service.name, service.instance.id, the org and OTEL_RESOURCE_ATTRIBUTES (service.version is added at push). */
  resource: Readonly<Record<string, string>>;
  intervalMs: number;
}

export interface OtlpInput {
  /** OTEL_ENDPOINT after its standard fallbacks and default. */
  endpoint: string;
  /** OTEL_INSECURE as given (flag or variable), else undefined. */
  insecure: boolean | undefined;
  serviceName: string | undefined;
  serviceInstanceId: string | undefined;
  intervalMs: number;
  orgName: string;
  hostname: string;
}

const DEFAULT_PORT = "4317";
const DEFAULT_TIMEOUT_MS = 10_000;

/** The first of `names` that is set; blank counts as unset, as in the OTel SDKs. */
export function firstSet(env: Env, names: readonly string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return undefined;
}

/** The metrics-specific variable wins over the general one. */
const standard = (env: Env, name: string) => firstSet(env, [`OTEL_EXPORTER_OTLP_METRICS_${name}`, `OTEL_EXPORTER_OTLP_${name}`]);

/** `host:port`, `http://host[:port]` or `https://host[:port]` → URL and the security its scheme asks for. */
export function parseEndpoint(text: string, problems: string[]): { url: string; secure: boolean | undefined } | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== "http" && scheme !== "https") {
    problems.push(`OTEL_ENDPOINT: the scheme must be http:// or https://, got "${text}"`);
    return undefined;
  }
  const url = URL.parse(scheme ? text : `http://${text}`);
  if (!url?.hostname || url.username || url.password || url.search || url.hash || (url.pathname !== "/" && url.pathname !== "")) {
    problems.push(`OTEL_ENDPOINT: must be host:port or http(s)://host:port, without path, query or credentials, got "${text}"`);
    return undefined;
  }
  // URL drops the scheme's default port (80/443); a gRPC collector listens on 4317 unless told otherwise.
  const explicitPort = /:(\d+)\/?$/.exec(text)?.[1];
  const port = explicitPort ?? DEFAULT_PORT;
  if (Number(port) < 1 || Number(port) > 65_535) {
    problems.push(`OTEL_ENDPOINT: the port must be 1-65535, got "${text}"`);
    return undefined;
  }
  return {
    url: `${scheme === "https" ? "https" : "http"}://${url.hostname}:${Number(port)}`,
    secure: scheme === undefined ? undefined : scheme === "https",
  };
}

/**
 * `key=value,key2=value2` with percent-encoded values (OTEL_EXPORTER_OTLP_HEADERS,
 * OTEL_RESOURCE_ATTRIBUTES). Strict where the SDKs silently drop entries: a typo stops start-up.
 * Problems name the key, never the value (header values carry credentials).
 */
export function parseKeyValues(name: string, text: string, problems: string[], validKey: (k: string) => boolean): Map<string, string> {
  const out = new Map<string, string>();
  for (const [i, entry] of text.split(",").entries()) {
    if (entry.trim() === "") continue;
    const eq = entry.indexOf("=");
    const key = (eq < 0 ? entry : entry.slice(0, eq)).trim();
    if (eq < 0 || !validKey(key)) {
      problems.push(`${name}: entry ${i + 1} must be key=value with a valid key${eq < 0 ? "" : `, got key "${key.slice(0, 40)}"`}`);
      continue;
    }
    try {
      out.set(key, decodeURIComponent(entry.slice(eq + 1).trim()));
    } catch {
      problems.push(`${name}: the value of "${key}" has a malformed percent-escape`);
    }
  }
  return out;
}

/** gRPC metadata keys (lower-cased; binary `-bin` keys cannot come from text) and printable ASCII values. */
function parseHeaders(env: Env, problems: string[]): Array<[string, string]> {
  const merged = new Map<string, string>();
  for (const name of ["OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_METRICS_HEADERS"]) {
    const text = env[name]?.trim();
    if (!text) continue;
    const pairs = parseKeyValues(name, text, problems, (k) => /^[0-9a-z_.-]+$/i.test(k) && !/-bin$/i.test(k));
    for (const [key, value] of pairs) {
      if (/^[\x20-\x7e]*$/.test(value)) merged.set(key.toLowerCase(), value);
      else problems.push(`${name}: the value of "${key}" must be printable ASCII after decoding`);
    }
  }
  return [...merged];
}

function parseTimeout(env: Env, problems: string[]): number {
  const given = standard(env, "TIMEOUT");
  if (!given) return DEFAULT_TIMEOUT_MS;
  const ms = /^\d+$/.test(given.value) ? Number(given.value) : NaN;
  if (ms >= 1 && ms <= 600_000) return ms;
  problems.push(`${given.name}: must be whole milliseconds from 1 to 600000, got "${given.value}"`);
  return DEFAULT_TIMEOUT_MS;
}

function parseCompression(env: Env, problems: string[]): "gzip" | "none" {
  const given = standard(env, "COMPRESSION");
  const value = given?.value.toLowerCase() ?? "none";
  if (value === "gzip" || value === "none") return value;
  problems.push(`${given!.name}: must be gzip or none, got "${given!.value}"`);
  return "none";
}

/** Security: OTEL_INSECURE, else the endpoint's scheme, else the standard INSECURE variables, else plaintext. */
function resolveInsecure(given: boolean | undefined, schemeSecure: boolean | undefined, env: Env, problems: string[]): boolean {
  if (given !== undefined && schemeSecure !== undefined && given === schemeSecure) {
    problems.push(
      `OTEL_INSECURE: is ${given} but the endpoint's scheme asks for ${schemeSecure ? "TLS (https://)" : "plaintext (http://)"}; drop one of them`,
    );
  }
  if (given !== undefined) return given;
  if (schemeSecure !== undefined) return !schemeSecure;
  const std = standard(env, "INSECURE");
  if (!std) return true;
  if (/^(true|false)$/i.test(std.value)) return std.value.toLowerCase() === "true";
  problems.push(`${std.name}: must be true or false, got "${std.value}"`);
  return true;
}

function readTls(env: Env, insecure: boolean, readFile: (path: string) => string, problems: string[]): OtlpConfig["tls"] {
  const tls: OtlpConfig["tls"] = {};
  const files = { ca: standard(env, "CERTIFICATE"), key: standard(env, "CLIENT_KEY"), cert: standard(env, "CLIENT_CERTIFICATE") };
  for (const [part, given] of Object.entries(files) as Array<[keyof typeof files, { name: string; value: string } | undefined]>) {
    if (!given) continue;
    if (insecure) {
      // Silently sending plaintext where the user set up TLS would be the worst outcome.
      problems.push(`${given.name}: is set but OTLP push is plaintext; set OTEL_INSECURE=false (or an https:// endpoint) to use TLS`);
      continue;
    }
    const read = readPem(readFile, given.value);
    if ("pem" in read) tls[part] = read.pem;
    else if ("unreadable" in read) problems.push(`${given.name}: cannot read "${given.value}" (${read.unreadable})`);
    else problems.push(`${given.name}: "${given.value}" holds no PEM block`);
  }
  if ((files.key === undefined) !== (files.cert === undefined) && !insecure) {
    problems.push("OTEL_EXPORTER_OTLP_CLIENT_KEY and OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: mutual TLS needs both");
  }
  return tls;
}

/** The OTLP part of the configuration; appends to `problems` rather than throwing. */
export function otlpConfig(input: OtlpInput, env: Env, readFile: (path: string) => string, problems: string[]): OtlpConfig {
  const endpoint = parseEndpoint(input.endpoint, problems);
  const insecure = resolveInsecure(input.insecure, endpoint?.secure, env, problems);
  const host = endpoint && new URL(endpoint.url).hostname.replace(/^\[|\]$/g, "");
  if (!insecure && host && isIP(host)) {
    // Bun's TLS refuses an IP address as the server name (SNI) that grpc-js always sends.
    problems.push(
      `OTEL_ENDPOINT: TLS needs a host name, not the IP address ${host}: use a DNS name the collector's certificate holds (e.g. localhost)`,
    );
  }
  const attributes = parseKeyValues("OTEL_RESOURCE_ATTRIBUTES", env.OTEL_RESOURCE_ATTRIBUTES?.trim() ?? "", problems, (k) =>
    /^[\x21-\x7e]+$/.test(k),
  );
  const resource: Record<string, string> = {
    ...Object.fromEntries(attributes),
    "service.name": input.serviceName ?? attributes.get("service.name") ?? DEFAULT_OTEL_SERVICE_NAME,
    "service.instance.id": input.serviceInstanceId ?? attributes.get("service.instance.id") ?? input.hostname,
    "nvidia.cls.org.name": input.orgName,
  };
  const hostPort = endpoint?.url.replace(/^https?:\/\//, "") ?? "";
  return {
    url: `${insecure ? "http" : "https"}://${hostPort}`,
    insecure,
    headers: parseHeaders(env, problems),
    timeoutMs: parseTimeout(env, problems),
    compression: parseCompression(env, problems),
    tls: readTls(env, insecure, readFile, problems),
    resource,
    intervalMs: input.intervalMs,
  };
}
