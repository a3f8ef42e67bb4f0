/**
 * The OTLP push settings: the exporter's own OTEL_* settings (parsed with the others) and the
 * standard OpenTelemetry exporter variables, read only when push is enabled.
 */
import { isIP } from "node:net";
import { z } from "zod";
import { readPem } from "./files.ts";
import { grpcHeaders, otlpEndpoint, resourceAttributes } from "./otlp-values.ts";
import { bool, type Env, firstSet, integer, oneOf } from "./primitives.ts";
import { DEFAULT_OTEL_SERVICE_NAME } from "./settings.ts";

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
  /** How problems name OTEL_ENDPOINT and OTEL_INSECURE: the flag as typed, else the variable. */
  names: { endpoint: string; insecure: string };
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** Keyed by what each value sets; `names` says which variable it came from. */
const standardSchema = z.object({
  ENDPOINT: otlpEndpoint,
  INSECURE: bool.optional(),
  TIMEOUT: integer(1, 600_000, "whole milliseconds").optional(),
  COMPRESSION: oneOf(["gzip", "none"], "gzip or none").optional(),
  CERTIFICATE: z.string().optional(),
  CLIENT_KEY: z.string().optional(),
  CLIENT_CERTIFICATE: z.string().optional(),
  HEADERS: grpcHeaders.optional(),
  METRICS_HEADERS: grpcHeaders.optional(),
  RESOURCE_ATTRIBUTES: resourceAttributes.optional(),
});

/** Set per signal: the metrics-specific variable wins over the general one. */
const PER_SIGNAL = ["INSECURE", "TIMEOUT", "COMPRESSION", "CERTIFICATE", "CLIENT_KEY", "CLIENT_CERTIFICATE"] as const;
const SINGLE = {
  HEADERS: "OTEL_EXPORTER_OTLP_HEADERS",
  METRICS_HEADERS: "OTEL_EXPORTER_OTLP_METRICS_HEADERS",
  RESOURCE_ATTRIBUTES: "OTEL_RESOURCE_ATTRIBUTES",
} as const;

/** The standard variables that are set (blank counts as unset), and the name each was read from. */
function standardInput(env: Env, endpointName: string): { values: Env; names: Record<string, string> } {
  const values: Env = {};
  const names: Record<string, string> = { ENDPOINT: endpointName };
  for (const key of PER_SIGNAL) {
    const given = firstSet(env, [`OTEL_EXPORTER_OTLP_METRICS_${key}`, `OTEL_EXPORTER_OTLP_${key}`]);
    if (given) [values[key], names[key]] = [given.value, given.name];
  }
  for (const [key, name] of Object.entries(SINGLE)) [values[key], names[key]] = [env[name]?.trim() || undefined, name];
  return { values, names };
}

type Standard = z.infer<typeof standardSchema>;

/** Security: OTEL_INSECURE, else the endpoint's scheme, else the standard INSECURE variables, else plaintext. */
function resolveInsecure(input: OtlpInput, s: Standard, problems: string[]): boolean {
  const [given, schemeSecure] = [input.insecure, s.ENDPOINT.secure];
  if (given !== undefined && schemeSecure !== undefined && given === schemeSecure) {
    problems.push(
      `${input.names.insecure}: is ${given} but the endpoint's scheme asks for ${schemeSecure ? "TLS (https://)" : "plaintext (http://)"}; drop one of them`,
    );
  }
  return given ?? (schemeSecure === undefined ? (s.INSECURE ?? true) : !schemeSecure);
}

function readTls(s: Standard, names: Record<string, string>, insecure: boolean, readFile: (path: string) => string, problems: string[]) {
  const tls: OtlpConfig["tls"] = {};
  const files = { ca: "CERTIFICATE", key: "CLIENT_KEY", cert: "CLIENT_CERTIFICATE" } as const;
  for (const [part, key] of Object.entries(files) as Array<[keyof typeof files, (typeof files)[keyof typeof files]]>) {
    const path = s[key];
    if (path === undefined) continue;
    if (insecure) {
      // Silently sending plaintext where the user set up TLS would be the worst outcome.
      problems.push(`${names[key]}: is set but OTLP push is plaintext; set OTEL_INSECURE=false (or an https:// endpoint) to use TLS`);
      continue;
    }
    const read = readPem(readFile, path);
    if ("pem" in read) tls[part] = read.pem;
    else if ("unreadable" in read) problems.push(`${names[key]}: cannot read "${path}" (${read.unreadable})`);
    else problems.push(`${names[key]}: "${path}" holds no PEM block`);
  }
  if ((s.CLIENT_KEY === undefined) !== (s.CLIENT_CERTIFICATE === undefined) && !insecure) {
    problems.push("OTEL_EXPORTER_OTLP_CLIENT_KEY and OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: mutual TLS needs both");
  }
  return tls;
}

/** The general headers, then the metrics-specific ones overriding them per (lower-cased) key. */
function mergeHeaders(s: Standard): Array<[string, string]> {
  const merged = new Map<string, string>();
  for (const pairs of [s.HEADERS, s.METRICS_HEADERS]) for (const [key, value] of pairs ?? []) merged.set(key.toLowerCase(), value);
  return [...merged];
}

/** The OTLP part of the configuration; appends to `problems` rather than throwing. */
export function otlpConfig(input: OtlpInput, env: Env, readFile: (path: string) => string, problems: string[]): OtlpConfig | undefined {
  const { values, names } = standardInput(env, input.names.endpoint);
  const parsed = standardSchema.safeParse({ ...values, ENDPOINT: input.endpoint });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${names[String(issue.path[0])]}: ${issue.message}`);
    return undefined;
  }
  const s = parsed.data;
  const insecure = resolveInsecure(input, s, problems);
  const host = new URL(s.ENDPOINT.url).hostname.replace(/^\[|\]$/g, "");
  if (!insecure && isIP(host)) {
    // Bun's TLS refuses an IP address as the server name (SNI) that grpc-js always sends.
    problems.push(
      `${input.names.endpoint}: TLS needs a host name, not the IP address ${host}: use a DNS name the collector's certificate holds (e.g. localhost)`,
    );
  }
  const attributes = s.RESOURCE_ATTRIBUTES ?? new Map<string, string>();
  return {
    url: `${insecure ? "http" : "https"}://${s.ENDPOINT.url.replace(/^https?:\/\//, "")}`,
    insecure,
    headers: mergeHeaders(s),
    timeoutMs: s.TIMEOUT ?? DEFAULT_TIMEOUT_MS,
    compression: s.COMPRESSION ?? "none",
    tls: readTls(s, names, insecure, readFile, problems),
    resource: {
      ...Object.fromEntries(attributes),
      "service.name": input.serviceName ?? attributes.get("service.name") ?? DEFAULT_OTEL_SERVICE_NAME,
      "service.instance.id": input.serviceInstanceId ?? attributes.get("service.instance.id") ?? input.hostname,
      "nvidia.cls.org.name": input.orgName,
    },
    intervalMs: input.intervalMs,
  };
}
