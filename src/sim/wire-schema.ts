/**
 * Shapes a scenario directory must have. Loose objects: unknown fields are kept, because the
 * simulator must serve them back unchanged (exporters have to tolerate them).
 */
import { z } from "zod";

const entitlementFeature = z.looseObject({
  featureName: z.string(),
  totalQuantity: z.number(),
  inUseQuantity: z.number(),
  unassignedQuantity: z.number(),
});

const virtualGroup = z.looseObject({
  id: z.number(),
  name: z.string(),
  entitlements: z
    .array(
      z.looseObject({
        emsEntitlementId: z.string(),
        entitlementProductKeys: z.array(z.looseObject({ emsProductKeyId: z.string(), entitlementFeatures: z.array(entitlementFeature) })),
      }),
    )
    .optional(),
});

const licenseServer = z.looseObject({
  id: z.string(),
  name: z.string(),
  serviceInstanceId: z.string().optional(),
  licenseServerFeatures: z.array(z.looseObject({ id: z.string(), featureName: z.string(), totalQuantity: z.number() })),
});

const licensePool = z.looseObject({
  id: z.string(),
  name: z.string(),
  licensePoolFeatures: z.array(z.looseObject({ licenseServerFeatureId: z.string(), totalAllotment: z.number(), inUse: z.number() })),
});

const client = z.looseObject({
  leases: z.array(
    z.looseObject({
      leaseId: z.string(),
      featureName: z.string(),
      leaseCount: z.number().optional(),
      licenseAllotmentFeatureId: z.string().optional(),
    }),
  ),
  additionalProperties: z.looseObject({ license_server_id: z.string().optional(), license_server_name: z.string().optional() }).optional(),
});

export const virtualGroupsBody = z.looseObject({ virtualGroups: z.array(virtualGroup) });
export const virtualGroupBody = z.looseObject({ virtualGroup });
export const licenseServersBody = z.looseObject({ licenseServers: z.array(licenseServer) });
export const licensePoolsBody = z.looseObject({ licensePools: z.array(licensePool) });
export const clientsBody = z.looseObject({ clients: z.array(client) });
export const leasesBody = z.looseObject({
  compressedClients: z.string().optional(),
  clients: z.array(client).optional(),
});

export const scenarioIndex = z.looseObject({
  org: z.string(),
  routes: z.array(
    z.looseObject({
      path: z.string(),
      file: z.string(),
      query: z.record(z.string(), z.string()).optional(),
      headers: z.record(z.string(), z.string()).optional(),
    }),
  ),
});

export type ScenarioRoute = z.infer<typeof scenarioIndex>["routes"][number];
