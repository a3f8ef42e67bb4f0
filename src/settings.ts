/**
 * The single home of configuration: every variable, its flag, its default and its documentation.
 * The README table and --help are generated from SETTINGS (test/readme.test.ts fails when they drift).
 */
export interface Setting {
  env: string;
  flag: string;
  default?: string;
  doc: string;
  /** Never echoed in errors, logs or help. */
  secret?: boolean;
}

export const DEFAULT_LISTEN = ":9844";
export const DB_FILE_NAME = "nvidia-cls-exporter.db";
export const DEFAULT_DB_PATH = `./data/${DB_FILE_NAME}`;

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
  { env: "DB_PATH", flag: "db-path", default: DEFAULT_DB_PATH, doc: "SQLite file holding the last snapshot and the lease history; its folder is created. When unset and `RAILWAY_VOLUME_MOUNT_PATH` is set, the file goes on that volume. `:memory:` keeps history for the life of the process only." },
  { env: "HISTORY_RAW_RETENTION", flag: "history-raw-retention", default: "8d", doc: "How long history keeps every recorded change; older data is rolled up into hourly min/max/avg/last." },
  { env: "HISTORY_RETENTION", flag: "history-retention", default: "400d", doc: "How long hourly history is kept; at least `HISTORY_RAW_RETENTION`, at most 3650d." },
] as const satisfies readonly Setting[];

