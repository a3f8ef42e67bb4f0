/** One error type per boundary; `src/http/app.ts` and the cache turn them into statuses and metrics. */

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  /** Every problem found, one line each, naming the variable (never its value when secret). */
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

/** Why a CLS call failed. Used as the `reason` label, so the set is small and fixed. */
export type ClsErrorKind = "http" | "network" | "timeout" | "decode";

export class ClsError extends Error {
  override readonly name = "ClsError";
  constructor(
    readonly kind: ClsErrorKind,
    /** Endpoint template such as `license_servers`, never a URL with ids or secrets. */
    readonly endpoint: string,
    detail: string,
    readonly status?: number,
  ) {
    super(`${endpoint}: ${kind}${status === undefined ? "" : ` ${status}`}: ${detail}`);
  }

  /** The `reason` label value: the HTTP status for http errors, else the kind. */
  get reason(): string {
    return this.kind === "http" && this.status !== undefined ? String(this.status) : this.kind;
  }
}
