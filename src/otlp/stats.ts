/**
 * Why a push failed. Used as the `reason` label of nvidia_cls_otlp_export_failures_total, so the set
 * is small and fixed: gRPC statuses a collector or the network commonly produce, the rest grouped.
 */
export const OTLP_FAILURE_REASONS = [
  "unavailable",
  "timeout",
  "unauthenticated",
  "permission_denied",
  "resource_exhausted",
  "rejected",
  "error",
] as const;
export type OtlpFailureReason = (typeof OTLP_FAILURE_REASONS)[number];

/** What the pusher has done since the process started; rendered by the catalogue. */
export interface OtlpStats {
  exports: number;
  failures: Map<OtlpFailureReason, number>;
  /** ms since the epoch of the last push the collector accepted. */
  lastSuccessAt: number | undefined;
  /** The most recent push's failure, until a push is accepted again. */
  lastFailure: { reason: OtlpFailureReason; message: string; at: number } | undefined;
}

export function newOtlpStats(): OtlpStats {
  return { exports: 0, failures: new Map(), lastSuccessAt: undefined, lastFailure: undefined };
}
