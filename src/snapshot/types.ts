import { z } from "zod";
import { ENDPOINT_NAMES, type EndpointName } from "../cls/endpoints.ts";
import { REFRESH_ERROR_REASONS, type RefreshErrorReason, reasonForStatus } from "../errors.ts";
import { FAMILY_LABELS } from "./labels.ts";

/**
 * The snapshot, defined once: the types below are inferred from these schemas, the builder fills
 * them (types only, no parsing on the refresh path) and the store's codec parses a stored body with
 * them, so a field cannot exist in one and be lost in the other.
 */

/** Label values as exported, whatever the family: never empty ("unknown" when CLS did not say). */
export type Labels = Readonly<Record<string, string>>;

/** Exactly the names of the family's row in the label table; a stored name the table no longer has is dropped. */
function labelsOf<const N extends readonly string[]>(names: N) {
  const shape = Object.fromEntries(names.map((name) => [name, z.string()])) as Record<N[number], z.ZodString>;
  return z.object(shape).readonly();
}

// JSON turns a non-finite number into null, and leaves an undefined one out: both read back as "not reported".
const reported = z
  .number()
  .nullish()
  .transform((n) => n ?? undefined);

const entitlementRow = z.object({
  labels: labelsOf(FAMILY_LABELS.entitlement),
  total: reported,
  inUse: reported,
  unassigned: reported,
  /** Unix seconds. */
  end: reported,
});

const serverRow = z.object({ labels: labelsOf(FAMILY_LABELS.server) });

const serverFeatureRow = z.object({
  labels: labelsOf(FAMILY_LABELS.serverFeature),
  total: reported,
  /** Deduplicated active leases; 0 for a feature with none; undefined when its leases could not be read. */
  active: reported,
});

const poolRow = z.object({ labels: labelsOf(FAMILY_LABELS.pool), allotment: reported, inUse: reported });

/** Leases that could not be tied to a server feature: counted, never dropped. */
const unattributedRow = z.object({ labels: labelsOf(FAMILY_LABELS.unattributed), count: z.number() });

/** A failed part of a refresh as the snapshot keeps it (the refresh's own failure type must fit it). */
const failure = z
  .object({
    endpoint: z.custom<EndpointName>((v) => (ENDPOINT_NAMES as readonly unknown[]).includes(v), "not a CLS endpoint name"),
    /** One of REFRESH_ERROR_REASONS; the HTTP status a snapshot stored by an older version holds is read as its class. */
    reason: z.union([
      z.custom<RefreshErrorReason>((v) => (REFRESH_ERROR_REASONS as readonly unknown[]).includes(v), "not a refresh error reason"),
      z
        .string()
        .regex(/^\d{3}$/)
        .transform((status) => reasonForStatus(Number(status))),
    ]),
    /** The exact HTTP status, when CLS answered with one. */
    status: z.number().optional(),
    message: z.string(),
    /** True when the previous value of the part is being served instead. */
    stale: z.boolean(),
  })
  .readonly();

/** The numbers the metrics show; immutable once built. */
export const snapshotSchema = z.object({
  /** When the served data was collected (ms since epoch). */
  collectedAt: z.number(),
  /** How long the refresh that produced it took. */
  durationMs: z.number(),
  /** The last refresh fully succeeded and this snapshot is its result. */
  up: z.boolean(),
  entitlements: z.array(entitlementRow),
  servers: z.array(serverRow),
  serverFeatures: z.array(serverFeatureRow),
  pools: z.array(poolRow),
  unattributed: z.array(unattributedRow),
  /** Items CLS sent that could not be understood, by endpoint. */
  invalidItems: z.array(z.tuple([z.string(), z.number()]).readonly()).readonly(),
  /** Why those items were invalid: [endpoint, reason, items] (an item with two faults counts under both). */
  invalidReasons: z
    .array(z.tuple([z.string(), z.string(), z.number()]).readonly())
    .readonly()
    .optional(),
  /** Failures of the refresh that produced this snapshot. */
  failures: z.array(failure).readonly(),
});

export type Snapshot = z.output<typeof snapshotSchema>;
export type EntitlementRow = z.output<typeof entitlementRow>;
export type ServerRow = z.output<typeof serverRow>;
export type ServerFeatureRow = z.output<typeof serverFeatureRow>;
export type PoolRow = z.output<typeof poolRow>;
export type UnattributedRow = z.output<typeof unattributedRow>;
export type StoredFailure = z.output<typeof failure>;
