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

/** A field added after snapshots were first stored: a stored snapshot without it still restores. */
const added = reported.optional();

const entitlementRow = z.object({
  labels: labelsOf(FAMILY_LABELS.entitlement),
  total: reported,
  inUse: reported,
  unassigned: reported,
  /** Unix seconds. */
  end: reported,
  /** Unix seconds. */
  start: added,
  /** overagePercent as CLS sends it. */
  overagePercent: added,
  /** availableOverageQuantity: seats usable beyond `total`. */
  overageAvailable: added,
  /** overageStartTime, unix seconds. */
  overageStart: added,
  /** overageDuration as CLS sends it: its unit is undocumented. */
  overageDuration: added,
  /** Descriptive: shown on the entitlement info series only. */
  productFamily: z.string().optional(),
  productVersion: z.string().optional(),
});

/** One per product key: its sale type and whether it may move between virtual groups. */
const productKeyRow = z.object({ labels: labelsOf(FAMILY_LABELS.productKey) });

/** One per product key that renews another. */
const renewalRow = z.object({ labels: labelsOf(FAMILY_LABELS.productKeyRenewal) });

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
  /**
   * When the exporter that made it last had a fully successful refresh (ms since epoch), so a
   * replica serving it shows its leader's time. Absent before the first success, and in snapshots
   * stored by versions that did not keep it.
   */
  lastSuccessAt: z.number().optional(),
  /**
   * Set on a snapshot re-served by a refresh that fetched nothing at all: when that refresh ended
   * (ms since epoch). Its data are still as of collectedAt; history records nothing new for it.
   */
  refreshedAt: z.number().optional(),
  entitlements: z.array(entitlementRow),
  /** Optional: snapshots stored before product keys were read have none. */
  productKeys: z.array(productKeyRow).optional(),
  renewals: z.array(renewalRow).optional(),
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
export type ProductKeyRow = z.output<typeof productKeyRow>;
export type RenewalRow = z.output<typeof renewalRow>;
export type ServerRow = z.output<typeof serverRow>;
export type ServerFeatureRow = z.output<typeof serverFeatureRow>;
export type PoolRow = z.output<typeof poolRow>;
export type UnattributedRow = z.output<typeof unattributedRow>;
export type StoredFailure = z.output<typeof failure>;
