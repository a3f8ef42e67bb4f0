import type { StoreError } from "./errors.ts";
import type { OtlpStats } from "./otlp/stats.ts";
import { type CauseNotes, causesOf } from "./snapshot/causes.ts";
import type { Snapshot } from "./snapshot/types.ts";
import { storeHint } from "./store/index.ts";

/**
 * The exporter's health, worked out once: GET /healthz returns it as JSON and the status page shows
 * it (a command-line diagnosis is meant to print the same). Pure: built from what the exporter holds.
 */
export interface Health {
  /** The process answers; /healthz is a liveness check and says "ok" whatever CLS does. */
  status: "ok";
  cls_up: boolean;
  /** Seconds since the served data was collected; null before any. */
  data_age_seconds: number | null;
  cls: {
    /**
     * waiting: no data yet; restored: serving the snapshot stored before a restart until a refresh
     * ends; up: the last refresh fully succeeded; failing: it did not (see failures).
     */
    state: "waiting" | "restored" | "up" | "failing";
    collected_at: string | null;
    last_success_at: string | null;
    /** One entry per cause (endpoint × reason), the most upstream first. */
    failures: {
      endpoint: string;
      /** The class counted in nvidia_cls_refresh_errors_total{reason}. */
      reason: string;
      /** The exact HTTP status, when CLS answered with one. */
      status: number | null;
      parts: number;
      serving_last_good: number;
      hint: string | null;
      error: string;
    }[];
    /** Items CLS sent that could not be fully read, by endpoint. */
    invalid_items: Record<string, number>;
  };
  history: { enabled: false } | { enabled: true; up: boolean; reason: string | null; hint: string | null; last_write_at: string | null };
  otlp:
    | { enabled: false }
    | { enabled: true; up: boolean | null; reason: string | null; error: string | null; last_success_at: string | null };
}

export interface HealthInputs {
  now: number;
  snapshot: Snapshot | undefined;
  /** The snapshot is the one read from the store at start, no refresh having ended since. */
  restored: boolean;
  /** When a refresh last fully succeeded (ms). */
  lastSuccessAt: number | undefined;
  history?: { failure: StoreError | undefined; lastWriteAt: number | undefined };
  otlp?: OtlpStats;
  /** What changes the hints (a re-read key file). */
  causeNotes?: CauseNotes;
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

export function healthOf(i: HealthInputs): Health {
  const s = i.snapshot;
  return {
    status: "ok",
    cls_up: s?.up ?? false,
    data_age_seconds: s ? Math.round((i.now - s.collectedAt) / 1000) : null,
    cls: {
      state: s === undefined ? "waiting" : i.restored ? "restored" : s.up ? "up" : "failing",
      collected_at: iso(s?.collectedAt),
      last_success_at: iso(i.lastSuccessAt),
      failures: causes(s, i.causeNotes),
      invalid_items: Object.fromEntries(s?.invalidItems ?? []),
    },
    history: i.history
      ? {
          enabled: true,
          up: i.history.failure === undefined,
          reason: i.history.failure?.reason ?? null,
          hint: (i.history.failure && storeHint(i.history.failure.reason)) ?? null,
          last_write_at: iso(i.history.lastWriteAt),
        }
      : { enabled: false },
    otlp: i.otlp
      ? {
          enabled: true,
          // null until the first push has ended either way.
          up: i.otlp.lastFailure ? false : i.otlp.lastSuccessAt !== undefined ? true : null,
          reason: i.otlp.lastFailure?.reason ?? null,
          error: i.otlp.lastFailure?.message ?? null,
          last_success_at: iso(i.otlp.lastSuccessAt),
        }
      : { enabled: false },
  };
}

/** The failures' causes as the refresh's log line ranks them (unreadable items are listed apart). */
function causes(s: Snapshot | undefined, notes: CauseNotes | undefined): Health["cls"]["failures"] {
  if (!s) return [];
  return [...causesOf(s, notes).values()]
    .filter((c) => c.kind !== "invalid_items")
    .map((c) => ({
      endpoint: c.endpoint,
      reason: c.kind,
      status: c.status ?? null,
      parts: c.parts,
      serving_last_good: c.servingLastGood,
      hint: c.hint ?? null,
      error: c.message,
    }));
}
