/** Every setting's parser, one line each, in the order of SETTINGS (problems are listed in that order). */
import { z } from "zod";
import { FORMATS, LEVELS } from "../log.ts";
import { baseUrl, orgName } from "./cls.ts";
import { retention } from "./history.ts";
import { listenAddress, metricsPath } from "./listen.ts";
import { bool, byteSize, duration, integer, nonEmpty, oneOf } from "./primitives.ts";

export const settingsSchema = z.object({
  NVIDIA_API_KEY: nonEmpty.optional(),
  NVIDIA_API_KEY_FILE: nonEmpty.optional(),
  NVIDIA_ORG_NAME: orgName,
  NVIDIA_API_BASE_URL: baseUrl,
  NVIDIA_API_CA_FILE: nonEmpty.optional(),
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
  CLS_MAX_RESPONSE_BYTES: byteSize(1_024, 4 * 2 ** 30),
  CLS_MAX_INFLATED_BYTES: byteSize(1_024, 4 * 2 ** 30),
  CLS_MAX_ITEMS: integer(1, 100_000_000),
  CLS_MAX_PAGES: integer(1, 1_000_000),
  CLS_MAX_STRING_LENGTH: integer(16, 1_048_576),
  DB_PATH: nonEmpty,
  HISTORY_RAW_RETENTION: retention,
  HISTORY_RETENTION: retention,
  HISTORY_MAX_WAITING: integer(1, 1_000),
  OTEL_ENABLED: bool,
  OTEL_ENDPOINT: nonEmpty,
  OTEL_SERVICE_NAME: nonEmpty.optional(),
  OTEL_SERVICE_INSTANCE_ID: nonEmpty.optional(),
  OTEL_INSECURE: bool.optional(),
  OTEL_PUSH_INTERVAL: duration(1_000),
});

export type Settings = z.infer<typeof settingsSchema>;
