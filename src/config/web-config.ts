/**
 * The web configuration file of Prometheus exporters (exporter-toolkit format): HTTPS and basic auth
 * for the HTTP endpoints. Parsed strictly, as the toolkit does: an unknown key is an error, and so is
 * an option this exporter cannot honour, rather than a silently weaker server.
 *
 *   tls_server_config:
 *     cert_file: server.pem          # or `cert:` with the PEM inline; paths are relative to this file
 *     key_file: server-key.pem       # or `key:`
 *     client_auth_type: RequireAndVerifyClientCert   # or NoClientCert (default)
 *     client_ca_file: ca.pem
 *     min_version: TLS12             # or TLS13
 *   http_server_config:
 *     headers: { Strict-Transport-Security: max-age=31536000 }
 *   basic_auth_users:
 *     prometheus: $2y$10$...         # bcrypt
 */
import { constants } from "node:crypto";
import { dirname, isAbsolute, join } from "node:path";
import { z } from "zod";
import { readErrorCode, readPem } from "./files.ts";

export interface TlsServerConfig {
  cert: string;
  key: string;
  /** PEM of the CAs that sign client certificates; set when client certificates are required. */
  ca?: string;
  requireClientCert: boolean;
  /** OpenSSL options, e.g. to refuse TLS 1.2 when min_version is TLS13. */
  secureOptions?: number;
}

export interface WebConfig {
  tls?: TlsServerConfig;
  /** User name → bcrypt hash. Empty: no basic auth. */
  users: Map<string, string>;
  /** Extra response headers (exporter-toolkit `http_server_config.headers`). */
  headers: Record<string, string>;
}

/** What Bun's TLS (BoringSSL) speaks: 1.2 at least, 1.3 when asked for. */
const TLS_VERSIONS = ["TLS12", "TLS13"] as const;
const CLIENT_AUTH = ["NoClientCert", "RequireAndVerifyClientCert"] as const;
const UNSUPPORTED_CLIENT_AUTH = ["RequestClientCert", "RequireAnyClientCert", "VerifyClientCertIfGiven"];
/** The headers exporter-toolkit lets a web config set. */
const HEADERS = ["Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "X-XSS-Protection", "Strict-Transport-Security"];

const BCRYPT = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;

const tlsSchema = z.strictObject({
  cert_file: z.string().min(1).optional(),
  key_file: z.string().min(1).optional(),
  cert: z.string().min(1).optional(),
  key: z.string().min(1).optional(),
  client_auth_type: z
    .string()
    .refine((v) => !UNSUPPORTED_CLIENT_AUTH.includes(v), {
      message: "is not supported here (use NoClientCert or RequireAndVerifyClientCert)",
    })
    .pipe(z.enum(CLIENT_AUTH))
    .optional(),
  client_ca_file: z.string().min(1).optional(),
  min_version: z.enum(TLS_VERSIONS, { error: "must be TLS12 or TLS13 (older versions are never offered)" }).optional(),
  max_version: z.literal("TLS13", { error: "only TLS13 is supported (the newest version is always offered)" }).optional(),
});

const schema = z.strictObject({
  tls_server_config: tlsSchema.optional(),
  http_server_config: z
    .strictObject({
      // Bun.serve speaks HTTP/1.1; the toolkit's switch is accepted so shared files keep working.
      http2: z.boolean().optional(),
      headers: z
        .record(z.string(), z.string())
        .refine((h) => Object.keys(h).every((k) => HEADERS.includes(k)), `only ${HEADERS.join(", ")} may be set`)
        // A line break cannot travel in a header: every response would fail.
        .refine(
          (h) => Object.values(h).every((v) => !/[\r\n\0]/.test(v)),
          "a header value must be one line (no line breaks, e.g. from a YAML | block)",
        )
        .optional(),
    })
    .optional(),
  basic_auth_users: z
    .record(z.string(), z.string().regex(BCRYPT, "must be a bcrypt hash ($2y$…, e.g. from htpasswd -nBC 10)"))
    .refine((users) => Object.keys(users).every((u) => u !== "" && !u.includes(":")), "a user name must not be empty or contain ':'")
    .optional(),
});

type Parsed = z.infer<typeof schema>;

/** The file's YAML through the schema; undefined after the problems were recorded. */
function parseFile(path: string, readFile: (path: string) => string, report: (problem: string) => void): Parsed | undefined {
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    report(`cannot read ${path} (${readErrorCode(err)})`);
    return undefined;
  }
  let raw: unknown;
  try {
    raw = text.trim() === "" ? {} : Bun.YAML.parse(text);
  } catch (err) {
    report(`${path} is not valid YAML: ${(err as Error).message.split("\n")[0]}`);
    return undefined;
  }
  const parsed = schema.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    const at = issue.path.join(".") || "(top level)";
    report(`${at}: ${issue.code === "unrecognized_keys" ? `unknown key(s) ${issue.keys.join(", ")}` : issue.message}`);
  }
  return undefined;
}

type TlsSection = NonNullable<Parsed["tls_server_config"]>;

/** `read(key, path)` gives a PEM file's text, or undefined after reporting why not. */
function tlsServerConfig(t: TlsSection, read: (key: string, path: string) => string | undefined, report: (problem: string) => void) {
  if (t.cert_file && t.cert) report("tls_server_config: set cert_file or cert, not both");
  if (t.key_file && t.key) report("tls_server_config: set key_file or key, not both");
  const cert = t.cert ?? (t.cert_file ? read("cert_file", t.cert_file) : undefined);
  const key = t.key ?? (t.key_file ? read("key_file", t.key_file) : undefined);
  if (!t.cert && !t.cert_file) report("tls_server_config: cert_file (or cert) is required");
  if (!t.key && !t.key_file) report("tls_server_config: key_file (or key) is required");
  const requireClientCert = t.client_auth_type === "RequireAndVerifyClientCert";
  if (requireClientCert && !t.client_ca_file) report("tls_server_config: client_auth_type RequireAndVerifyClientCert needs client_ca_file");
  if (!requireClientCert && t.client_ca_file)
    report("tls_server_config: client_ca_file is set but client_auth_type is not RequireAndVerifyClientCert");
  const ca = requireClientCert && t.client_ca_file ? read("client_ca_file", t.client_ca_file) : undefined;
  if (!cert || !key) return undefined;
  const tls: TlsServerConfig = { cert, key, requireClientCert, ...(ca ? { ca } : {}) };
  return t.min_version === "TLS13" ? { ...tls, secureOptions: constants.SSL_OP_NO_TLSv1_2 } : tls;
}

/**
 * Parses the file at `path`; each problem (never a hash, key or password) is pushed to `problems`,
 * prefixed by `where`: how the file was named (the variable, or the flag as typed).
 */
export function loadWebConfig(
  path: string,
  readFile: (path: string) => string,
  problems: string[],
  where = "WEB_CONFIG_FILE",
): WebConfig | undefined {
  const report = (problem: string) => problems.push(`${where}: ${problem}`);
  const c = parseFile(path, readFile, report);
  if (!c) return undefined;
  const read = (key: string, p: string): string | undefined => {
    const got = readPem(readFile, isAbsolute(p) ? p : join(dirname(path), p));
    if ("pem" in got) return got.pem;
    report(`tls_server_config.${key}: ${"unreadable" in got ? `cannot read ${p} (${got.unreadable})` : `${p} is not PEM`}`);
    return undefined;
  };
  const before = problems.length;
  const tls = c.tls_server_config && tlsServerConfig(c.tls_server_config, read, report);
  if (problems.length > before) return undefined;
  return {
    ...(tls ? { tls } : {}),
    users: new Map(Object.entries(c.basic_auth_users ?? {})),
    headers: c.http_server_config?.headers ?? {},
  };
}
