import type { EndpointName } from "./cls/endpoints.ts";

/**
 * One error type per boundary. Configuration errors end start-up (src/start.ts); CLS errors become
 * a part failure of the refresh, its metric and log line (src/cls/org.ts, src/snapshot/refresh-log.ts);
 * store errors become history self-metrics and, for reads, an HTTP problem (src/http/problems.ts).
 */

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  /** Every problem found, one line each, naming the variable (never its value when secret). */
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

/**
 * Why a CLS call failed. `too_large`: the answer went past a configured bound (bytes read or
 * inflated, items, pages); retrying would fetch the same answer, so it is never retried.
 */
export type ClsErrorKind = "http" | "network" | "timeout" | "decode" | "too_large";

/**
 * The `reason` label of nvidia_cls_refresh_errors_total: a closed list, every value exported from 0
 * for every endpoint, so alert rules need no `or vector(0)`. The statuses that call for their own
 * action keep their number; other statuses count under their class (a redirect, never followed,
 * and any status outside 4xx/5xx count as `decode`: not the answer the API gives). The exact
 * status stays in the refresh log line and in nvidia_cls_api_requests_total{code}.
 * `too_large` is an answer beyond a configured bound (src/cls: bytes, inflated bytes, items, pages).
 */
export const REFRESH_ERROR_REASONS = ["401", "403", "404", "429", "4xx", "5xx", "network", "timeout", "decode", "too_large"] as const;
export type RefreshErrorReason = (typeof REFRESH_ERROR_REASONS)[number];

export function reasonForStatus(status: number): RefreshErrorReason {
  if (status === 401 || status === 403 || status === 404 || status === 429) return `${status}`;
  if (status >= 400 && status <= 499) return "4xx";
  if (status >= 500 && status <= 599) return "5xx";
  return "decode";
}

export class ClsError extends Error {
  override readonly name = "ClsError";
  constructor(
    readonly kind: ClsErrorKind,
    /** Never a URL with ids or secrets. */
    readonly endpoint: EndpointName,
    detail: string,
    readonly status?: number,
  ) {
    super(`${endpoint}: ${kind}${status === undefined ? "" : ` ${status}`}: ${detail}`);
  }

  /** The `reason` label value: the HTTP status mapped into the closed list, else the kind. */
  get reason(): RefreshErrorReason {
    return this.kind === "http" ? reasonForStatus(this.status ?? 0) : this.kind;
  }
}

/** Why the history database cannot be used. Used as the `reason` label, so the set is small and fixed. */
export const STORE_REASONS = ["full", "readonly", "corrupt", "foreign", "newer_schema", "busy", "io", "cannot_open", "error"] as const;
export type StoreReason = (typeof STORE_REASONS)[number];

/** Reasons that no retry will cure: the file must be fixed or moved by a person. */
const PERMANENT: ReadonlySet<StoreReason> = new Set(["corrupt", "foreign", "newer_schema"]);

export class StoreError extends Error {
  override readonly name = "StoreError";
  constructor(
    readonly reason: StoreReason,
    message: string,
  ) {
    super(message);
  }

  get permanent(): boolean {
    return PERMANENT.has(this.reason);
  }

  /** Maps SQLite result codes and file-system errno codes to a reason; keeps the original text. */
  static from(err: unknown, context: string): StoreError {
    if (err instanceof StoreError) return err;
    const code = String((err as { code?: unknown })?.code ?? "");
    const message = `${context}: ${(err as Error)?.message ?? String(err)}`;
    return new StoreError(reasonOf(code), message);
  }
}

function reasonOf(code: string): StoreReason {
  if (code === "SQLITE_FULL" || code === "ENOSPC" || code === "EDQUOT") return "full";
  if (code.startsWith("SQLITE_READONLY") || code === "EROFS" || code === "EACCES" || code === "EPERM" || code === "SQLITE_PERM")
    return "readonly";
  if (code === "SQLITE_NOTADB" || code.startsWith("SQLITE_CORRUPT")) return "corrupt";
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) return "busy";
  if (code.startsWith("SQLITE_IOERR") || code === "EIO") return "io";
  if (code.startsWith("SQLITE_CANTOPEN") || code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR" || code === "EEXIST")
    return "cannot_open";
  return "error";
}
