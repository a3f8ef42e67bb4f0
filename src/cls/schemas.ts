import { z } from "zod";

/*
 * Only the fields the exporter reads. Unknown keys are stripped; an optional field of the wrong
 * type becomes undefined instead of failing the response, because CLS's shapes are only partly
 * documented. Ids are required: an item without one cannot be joined and is counted as invalid.
 */

/**
 * Fields that held a value of the wrong type (and were read as absent) since the last
 * takeUnreadable(): the client counts an item with any as invalid, while keeping it.
 */
let unreadable = 0;
export function takeUnreadable(): number {
  const n = unreadable;
  unreadable = 0;
  return n;
}
/**
 * catch() runs for a value that is present and wrong (absent optional fields pass before it), and
 * for JSON null, which zod's optional() refuses: null is CLS saying "none", so it is not counted.
 */
const absentAndCounted = (ctx: { input: unknown }) => {
  if (ctx.input !== null) unreadable++;
  return undefined;
};

const id = z.union([z.string().min(1), z.number().transform(String)]);
const text = z
  .union([z.string(), z.number().transform(String)])
  .optional()
  .catch(absentAndCounted);
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
  .catch(absentAndCounted);

export const paginationInfo = z
  .object({
    pageNumber: quantity,
    pageSize: quantity,
    totalPages: quantity,
    totalElements: quantity,
  })
  .optional()
  .catch(absentAndCounted);

export const entitlementFeature = z.object({
  featureName: text,
  featureVersion: text,
  productName: text,
  licenseType: text,
  endDate: text,
  totalQuantity: quantity,
  inUseQuantity: quantity,
  unassignedQuantity: quantity,
});

export const productKey = z.object({
  emsProductKeyId: text,
  entitlementFeatures: z.array(z.unknown()).optional().catch(absentAndCounted),
});

export const entitlement = z.object({
  id: text,
  emsEntitlementId: text,
  entitlementProductKeys: z.array(z.unknown()).optional().catch(absentAndCounted),
});

export const virtualGroup = z.object({
  id,
  name: text,
  entitlements: z.array(z.unknown()).optional().catch(absentAndCounted),
});

export const serverFeature = z.object({
  id,
  featureName: text,
  productName: text,
  licenseType: text,
  totalQuantity: quantity,
});

export const licenseServer = z.object({
  id,
  name: text,
  status: text,
  deployedOn: text,
  leasingMode: text,
  serviceInstanceId: text,
  licenseServerFeatures: z.array(z.unknown()).optional().catch(absentAndCounted),
});

export const poolFeature = z.object({
  licenseServerFeatureId: id,
  totalAllotment: quantity,
  inUse: quantity,
});

export const licensePool = z.object({
  id,
  name: text,
  licensePoolFeatures: z.array(z.unknown()).optional().catch(absentAndCounted),
});

export const lease = z.object({
  leaseId: id,
  featureName: text,
  leaseCount: quantity,
  licenseAllotmentFeatureId: text,
});

export const leaseClient = z.object({
  leases: z.array(z.unknown()).optional().catch(absentAndCounted),
  additionalProperties: z.object({ license_server_id: text, license_server_name: text }).optional().catch(absentAndCounted),
});

/** The envelope of each list endpoint: the array key must be an array, or the page is undecodable. */
export const envelopes = {
  virtual_groups: z.object({ virtualGroups: z.array(z.unknown()), paginationInfo }),
  license_servers: z.object({ licenseServers: z.array(z.unknown()), paginationInfo }),
  license_pools: z.object({ licensePools: z.array(z.unknown()), paginationInfo }),
  leases: z.object({
    clients: z.array(z.unknown()).optional(),
    compressedClients: z.string().optional(),
    paginationInfo,
  }),
} as const;

export type VirtualGroup = z.infer<typeof virtualGroup>;
export type Entitlement = z.infer<typeof entitlement>;
export type ProductKey = z.infer<typeof productKey>;
export type EntitlementFeature = z.infer<typeof entitlementFeature>;
export type LicenseServer = z.infer<typeof licenseServer>;
export type ServerFeature = z.infer<typeof serverFeature>;
export type LicensePool = z.infer<typeof licensePool>;
export type PoolFeature = z.infer<typeof poolFeature>;
export type Lease = z.infer<typeof lease>;
export type LeaseClient = z.infer<typeof leaseClient>;
