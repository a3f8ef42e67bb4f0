/**
 * The single home of configuration: every variable, its flag, its default and its documentation.
 * The README table and --help are generated from SETTINGS (test/readme.test.ts fails when they drift);
 * docs are written in the markup of doc.ts, which renders them for both.
 */
export interface Setting {
  env: string;
  flag: string;
  default?: string;
  doc: string;
  /** Never echoed in errors, logs or help. */
  secret?: boolean;
  /** Standard OpenTelemetry variables consulted, in order, after the flag and `env` and before the default. */
  fallback?: readonly string[];
}

/** A variable every OpenTelemetry SDK reads; no flag of its own. Read only when OTLP push is enabled. */
export interface StandardSetting {
  env: string;
  doc: string;
}

export const DEFAULT_LISTEN = ":9844";
const DEFAULT_OTEL_ENDPOINT = "127.0.0.1:4317";
export const DEFAULT_OTEL_SERVICE_NAME = "nvidia-license-server-exporter";
export const DB_FILE_NAME = "nvidia-cls-exporter.db";
export const DEFAULT_DB_PATH = `./data/${DB_FILE_NAME}`;

export const SETTINGS = [
  {
    env: "NVIDIA_API_KEY",
    flag: "nvidia-api-key",
    secret: true,
    doc: "CLS API key with access type *Licensing State*. Required unless `NVIDIA_API_KEY_FILE` is set. Prefer the env or the file: a flag shows in the process list.",
  },
  {
    env: "NVIDIA_API_KEY_FILE",
    flag: "nvidia-api-key-file",
    doc: "File holding the API key (for mounted secrets); surrounding whitespace is ignored. Wins over `NVIDIA_API_KEY`.",
  },
  { env: "NVIDIA_ORG_NAME", flag: "nvidia-org-name", doc: "CLS organisation name (the `{org-name}` in the API paths). Required." },
  {
    env: "NVIDIA_API_BASE_URL",
    flag: "nvidia-api-base-url",
    default: "https://api.licensing.nvidia.com",
    doc: "CLS API base URL (http or https); a query string or user info is refused (a token there would go to CLS in every URL). Calls go through `HTTPS_PROXY` (`HTTP_PROXY` for http) unless `NO_PROXY` lists the host: see [[Proxies and private CAs]].",
  },
  {
    env: "NVIDIA_API_CA_FILE",
    flag: "nvidia-api-ca-file",
    doc: "PEM file of the CA(s) that CLS's certificate (or a TLS-inspecting proxy's) is checked against, instead of the system's roots; read at start. For a private CA: `NODE_TLS_REJECT_UNAUTHORIZED=0` is refused.",
  },
  {
    env: "NVIDIA_SERVICE_INSTANCE_ID",
    flag: "nvidia-service-instance-id",
    doc: "Sent as `x-nv-service-instance-id` on calls that have no per-server instance id.",
  },
  {
    env: "LISTEN_ADDRESS",
    flag: "listen-address",
    default: DEFAULT_LISTEN,
    doc: "`host:port` to listen on; an empty host means all interfaces. When unset and `PORT` is set (Railway, Heroku), `:$PORT`.",
  },
  { env: "METRICS_PATH", flag: "metrics-path", default: "/metrics", doc: "Path of the Prometheus endpoint." },
  {
    env: "WEB_CONFIG_FILE",
    flag: "web.config.file",
    doc: "Prometheus exporter-toolkit web configuration (YAML): `tls_server_config` for HTTPS, `basic_auth_users` (bcrypt hashes) to require a password for everything but `/healthz`. See [[Protecting the endpoints]].",
  },
  {
    env: "AUTH_BEARER_TOKEN",
    flag: "auth-bearer-token",
    secret: true,
    doc: "When set, `/metrics`, `/history`, `/report`, `/` and its `/assets/` also accept (or, without `basic_auth_users`, require) `Authorization: Bearer <token>`. Prefer `AUTH_BEARER_TOKEN_FILE`.",
  },
  {
    env: "AUTH_BEARER_TOKEN_FILE",
    flag: "auth-bearer-token-file",
    doc: "File holding the bearer token; surrounding whitespace is ignored. Wins over `AUTH_BEARER_TOKEN`.",
  },
  { env: "LOG_LEVEL", flag: "log-level", default: "info", doc: "Least severe log level written: `debug`, `info`, `warn` or `error`." },
  { env: "LOG_FORMAT", flag: "log-format", default: "logfmt", doc: "`logfmt` or `json` (one object per line); either way on stderr." },
  {
    env: "SCRAPE_TIMEOUT",
    flag: "scrape-timeout",
    default: "20s",
    doc: "Upper bound of one refresh of all CLS data, and of how long a scrape waits when no snapshot exists yet.",
  },
  { env: "CACHE_TTL", flag: "cache-ttl", default: "60s", doc: "How long a snapshot stays fresh; the background refresh runs this often." },
  { env: "PARALLELISM", flag: "parallelism", default: "8", doc: "Most CLS calls in flight at once (1–64)." },
  {
    env: "CLS_MAX_RESPONSE_BYTES",
    flag: "cls-max-response-bytes",
    default: "8MiB",
    doc: "Most bytes one CLS answer may have (after any `Content-Encoding` is undone; a `Content-Length` above it is refused unread). A larger answer fails that part of the refresh with reason `too_large`, without retries. Of an error answer only the first 4 KiB are read. The default is 88× the largest answer of the largest org the benchmarks model (95 kB) and parses in ~50 ms (BENCHMARKS.md (h)). The reads in flight share a budget of the larger of this and `CLS_MAX_INFLATED_BYTES`. Sizes take kB, MB, GB, KiB, MiB, GiB.",
  },
  {
    env: "CLS_MAX_INFLATED_BYTES",
    flag: "cls-max-inflated-bytes",
    default: "8MiB",
    doc: "Most bytes a compressed lease list (`compressedClients`) may inflate to; inflating stops there and the part fails with reason `too_large`. The default is ~295× the largest lease list the benchmarks model (28 kB).",
  },
  {
    env: "CLS_MAX_ITEMS",
    flag: "cls-max-items",
    default: "200000",
    doc: "Most items of one CLS list, all pages together (a lease list counts clients and leases); beyond it, or announced beyond it, the part fails with reason `too_large`. Default: twice the 100,000 groups of the largest org modelled.",
  },
  {
    env: "CLS_MAX_PAGES",
    flag: "cls-max-pages",
    default: "2000",
    doc: "Most pages read for one CLS list; a list that needs more, or announces more, fails that part with reason `too_large`. Default: `CLS_MAX_ITEMS` ÷ the page size of 100 asked for, so a list within `CLS_MAX_ITEMS` never hits it first.",
  },
  {
    env: "CLS_MAX_STRING_LENGTH",
    flag: "cls-max-string-length",
    default: "1024",
    doc: "Most characters of one string CLS sends. A longer name or description is cut (ending in `…`) and its item counted in `nvidia_cls_invalid_items`; an item with a longer id is invalid.",
  },
  {
    env: "DB_PATH",
    flag: "db-path",
    default: DEFAULT_DB_PATH,
    doc: "SQLite file holding the last snapshot and the lease history; its folder is created. When unset and `RAILWAY_VOLUME_MOUNT_PATH` is set, the file goes on that volume. `:memory:` keeps history for the life of the process only.",
  },
  {
    env: "DATABASE_URL",
    flag: "database-url",
    secret: true,
    doc: "A `postgres://` or `postgresql://` URL: the last snapshot and the history are kept in that PostgreSQL database instead of SQLite (wins over the default or Railway-derived `DB_PATH`; setting `DB_PATH` too is an error). TLS as the URL's `sslmode` says. A URL of another scheme (platforms set it for other software) is ignored with an info line. Its password never appears in logs, errors or metrics. Exporters of one org on one database elect a leader that calls CLS for all of them. See [[History in PostgreSQL]] and [[Replicas on PostgreSQL]].",
  },
  {
    env: "HISTORY_RAW_RETENTION",
    flag: "history-raw-retention",
    default: "8d",
    doc: "How long history keeps every recorded change; older data is rolled up into hourly min/max/avg/last.",
  },
  {
    env: "HISTORY_RETENTION",
    flag: "history-retention",
    default: "400d",
    doc: "How long hourly history is kept; at least `HISTORY_RAW_RETENTION`, at most 3650d.",
  },
  {
    env: "HISTORY_MAX_WAITING",
    flag: "history-max-waiting",
    default: "8",
    doc: '`/history` queries that may wait behind the one running, in each of its two lanes (small answers and large ones; `/report` takes the large one), on SQLite and PostgreSQL alike; one more is answered `503` with `Retry-After`, counted in `nvidia_cls_history_queries_total{outcome="busy"}` and logged (at most once a minute). On PostgreSQL a query matches its series before it takes a lane: at most 2 × (this + 1) do so at once, one more is refused the same way.',
  },
  {
    env: "OTEL_ENABLED",
    flag: "otel-enabled",
    default: "false",
    doc: "Push the metrics over OTLP gRPC as well (`true`/`false`). The OpenTelemetry packages are loaded only when this is true.",
  },
  {
    env: "OTEL_ENDPOINT",
    flag: "otel-endpoint",
    default: DEFAULT_OTEL_ENDPOINT,
    fallback: ["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"],
    doc: "OTLP gRPC collector: `host:port`, `http://host:port` or `https://host:port` (port 4317 when omitted; no path).",
  },
  {
    env: "OTEL_SERVICE_NAME",
    flag: "otel-service-name",
    doc: `Resource attribute \`service.name\`. When unset: \`service.name\` from \`OTEL_RESOURCE_ATTRIBUTES\`, else \`${DEFAULT_OTEL_SERVICE_NAME}\`.`,
  },
  {
    env: "OTEL_SERVICE_INSTANCE_ID",
    flag: "otel-service-instance-id",
    doc: "Resource attribute `service.instance.id`. When unset: `service.instance.id` from `OTEL_RESOURCE_ATTRIBUTES`, else the host name.",
  },
  {
    env: "OTEL_INSECURE",
    flag: "otel-insecure",
    doc: "`true`: plaintext gRPC; `false`: TLS. When unset: from the endpoint's scheme (`http://` or `https://`), else `OTEL_EXPORTER_OTLP_METRICS_INSECURE`, `OTEL_EXPORTER_OTLP_INSECURE`, else `true`. Contradicting the scheme is an error.",
  },
  {
    env: "OTEL_PUSH_INTERVAL",
    flag: "otel-push-interval",
    default: "60s",
    doc: "How often metrics are pushed (at least 1s). Each push reads the shared snapshot: a stale one is refreshed once for scrapes and pushes alike.",
  },
] as const satisfies readonly Setting[];

/**
 * The OpenTelemetry exporter variables honoured besides the settings above. A metrics-specific
 * variable (`OTEL_EXPORTER_OTLP_METRICS_*`) wins over the general one.
 */
export const OTEL_STANDARD: readonly StandardSetting[] = [
  {
    env: "OTEL_EXPORTER_OTLP_HEADERS",
    doc: "gRPC metadata sent with every push, `key=value` pairs separated by commas, values percent-decoded (W3C baggage format), e.g. `authorization=Bearer%20abc`. Keys are lower-cased; `*_METRICS_HEADERS` adds to and overrides it per key. Values are secrets: never logged.",
  },
  { env: "OTEL_EXPORTER_OTLP_TIMEOUT", doc: "Milliseconds one push may take, retries included (default 10000)." },
  { env: "OTEL_EXPORTER_OTLP_COMPRESSION", doc: "`gzip` or `none` (default)." },
  {
    env: "OTEL_EXPORTER_OTLP_CERTIFICATE",
    doc: "PEM file of the CA(s) that sign the collector's certificate (TLS only; default: the system's roots).",
  },
  { env: "OTEL_EXPORTER_OTLP_CLIENT_KEY", doc: "PEM private key for mutual TLS; needs `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`." },
  { env: "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", doc: "PEM certificate chain for mutual TLS; needs `OTEL_EXPORTER_OTLP_CLIENT_KEY`." },
  {
    env: "OTEL_RESOURCE_ATTRIBUTES",
    doc: "Extra resource attributes, `key=value` pairs separated by commas, values percent-decoded, e.g. `deployment.environment.name=prod`.",
  },
];
