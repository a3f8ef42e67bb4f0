import { z } from "zod";

/*
 * Only the fields the exporter reads. Unknown keys are stripped; an optional field of the wrong
 * type becomes undefined instead of failing the response, because CLS's shapes are only partly
 * documented. Ids are required: an item without one cannot be joined and is counted as invalid.
 */

/**
 * Fields of the item being parsed that held a value of the wrong type (and were read as absent).
 * The parser resets it before each item and reads it after: an item with any is counted as invalid,
 * while kept. Parsing is synchronous, so one tally per client serves every item in turn.
 */
export interface UnreadableTally {
  count: number;
}

/** How a list sits in its answer: the array's key, and the key of a gzip+base64 copy that replaces it when non-empty. */
export interface Envelope {
  list: string;
  compressed?: string;
}

const id = z.union([z.string().min(1), z.number().transform(String)]);

/** The tolerant field types; `onUnreadable` hears of every present value they drop. */
function tolerantFields(onUnreadable: () => void) {
  /**
   * catch() runs for a value that is present and wrong (absent optional fields pass before it), and
   * for JSON null, which zod's optional() refuses: null is CLS saying "none", so it is not counted.
   */
  const absent = (ctx: { input: unknown }) => {
    if (ctx.input !== null) onUnreadable();
    return undefined;
  };
  const text = z
    .union([z.string(), z.number().transform(String)])
    .optional()
    .catch(absent);
  /** Quantities arrive as numbers; numeric strings are accepted, anything else is "not reported". */
  const quantity = z
    .union([
      z.number(),
      z
        .string()
        .regex(/^-?\d+(\.\d+)?$/)
        .transform(Number),
    ])
    .optional()
    .catch(absent);
  /** A nested list, parsed item by item later so one bad item does not sink its siblings. */
  const list = z.array(z.unknown()).optional().catch(absent);
  return { absent, text, quantity, list };
}

const quiet = tolerantFields(() => {});

/** It only steers the page walk: a member of the wrong type means "no totals", not an unreadable item. */
export const paginationInfo = z
  .object({ pageNumber: quiet.quantity, pageSize: quiet.quantity, totalPages: quiet.quantity, totalElements: quiet.quantity })
  .optional()
  .catch(quiet.absent);
export type PaginationInfo = z.infer<typeof paginationInfo>;

/** An answer's envelope: its list must be an array (or, where a compressed copy may stand in, absent), or the page is undecodable. */
export function envelopeSchema(e: Envelope) {
  const list = z.array(z.unknown());
  return z.object({
    [e.list]: e.compressed ? list.optional() : list,
    ...(e.compressed ? { [e.compressed]: z.string().optional() } : {}),
    paginationInfo,
  });
}
export type EnvelopeSchema = ReturnType<typeof envelopeSchema>;

/** The item schemas, counting unreadable fields into `tally`. Built once per client. */
export function createItemSchemas(tally: UnreadableTally) {
  const { absent, text, quantity, list } = tolerantFields(() => {
    tally.count++;
  });
  return {
    virtualGroup: z.object({ id, name: text, entitlements: list }),
    entitlement: z.object({ id: text, emsEntitlementId: text, entitlementProductKeys: list }),
    productKey: z.object({ emsProductKeyId: text, entitlementFeatures: list }),
    entitlementFeature: z.object({
      featureName: text,
      featureVersion: text,
      productName: text,
      licenseType: text,
      endDate: text,
      totalQuantity: quantity,
      inUseQuantity: quantity,
      unassignedQuantity: quantity,
    }),
    licenseServer: z.object({
      id,
      name: text,
      status: text,
      deployedOn: text,
      leasingMode: text,
      serviceInstanceId: text,
      licenseServerFeatures: list,
    }),
    serverFeature: z.object({ id, featureName: text, productName: text, licenseType: text, totalQuantity: quantity }),
    licensePool: z.object({ id, name: text, licensePoolFeatures: list }),
    poolFeature: z.object({ licenseServerFeatureId: id, totalAllotment: quantity, inUse: quantity }),
    leaseClient: z.object({
      leases: list,
      additionalProperties: z.object({ license_server_id: text, license_server_name: text }).optional().catch(absent),
    }),
    lease: z.object({ leaseId: id, featureName: text, leaseCount: quantity, licenseAllotmentFeatureId: text }),
  };
}

export type ItemSchemas = ReturnType<typeof createItemSchemas>;
export type ItemName = keyof ItemSchemas;
export type Item<K extends ItemName> = z.output<ItemSchemas[K]>;
/** Parses a list item by item: valid items are returned, the others counted as invalid for the endpoint. */
export type ItemParser = <K extends ItemName>(name: K, items: readonly unknown[] | undefined) => Item<K>[];

export type VirtualGroup = Item<"virtualGroup">;
export type Entitlement = Item<"entitlement">;
export type ProductKey = Item<"productKey">;
export type EntitlementFeature = Item<"entitlementFeature">;
export type LicenseServer = Item<"licenseServer">;
export type ServerFeature = Item<"serverFeature">;
export type LicensePool = Item<"licensePool">;
export type PoolFeature = Item<"poolFeature">;
export type Lease = Item<"lease">;
export type LeaseClient = Item<"leaseClient">;
