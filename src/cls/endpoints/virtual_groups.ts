import { z } from "zod";
import { objectKind } from "../fields.ts";
import { type Infer, type ItemParser, itemSchema } from "../schemas.ts";
import { row } from "./row.ts";

const virtualGroup = itemSchema(
  objectKind("virtualGroup", ["id", "name", "orgName", "description", "createdDate", "users", "entitlements"]),
  (f) => z.object({ id: f.id, name: f.text, entitlements: f.list }),
);
const entitlement = itemSchema(
  objectKind("entitlement", ["id", "emsEntitlementId", "description", "type", "entitlementProductKeys"]),
  (f) => z.object({ id: f.ref, emsEntitlementId: f.ref, entitlementProductKeys: f.list }),
);
const productKey = itemSchema(
  objectKind("productKey", [
    "emsProductKeyId",
    "virtualGroupId",
    "virtualGroupName",
    "saleType",
    "renewedEmsProductKeyId",
    "isMovableAcrossVG",
    "entitlementFeatures",
  ]),
  (f) =>
    z.object({
      emsProductKeyId: f.ref,
      saleType: f.text,
      // The key this one renews (replaces): an id, so one too long drops the key like its own id would.
      renewedEmsProductKeyId: f.ref,
      isMovableAcrossVG: f.flag,
      entitlementFeatures: f.list,
    }),
);
const entitlementFeature = itemSchema(
  objectKind("entitlementFeature", [
    "id",
    "featureName",
    "featureVersion",
    "productName",
    "productFamily",
    "productVersion",
    "licenseType",
    "startDate",
    "endDate",
    "totalQuantity",
    "inUseQuantity",
    "unassignedQuantity",
    "overagePercent",
    "availableOverageQuantity",
    "overageStartTime",
    "overageDuration",
  ]),
  (f) =>
    z.object({
      featureName: f.text,
      featureVersion: f.text,
      productName: f.text,
      productFamily: f.text,
      productVersion: f.text,
      licenseType: f.text,
      startDate: f.date,
      endDate: f.date,
      totalQuantity: f.quantity,
      inUseQuantity: f.quantity,
      unassignedQuantity: f.quantity,
      overagePercent: f.measure,
      availableOverageQuantity: f.quantity,
      overageStartTime: f.date,
      overageDuration: f.measure,
    }),
);

/** A feature as read: dates (startDate, endDate, overageStartTime) in unix seconds. */
export type EntitlementFeature = Infer<typeof entitlementFeature>;
/** A feature with what it inherits from its entitlement and product key. */
export interface RawEntitlementFeature extends EntitlementFeature {
  emsEntitlementId: string | undefined;
  emsProductKeyId: string | undefined;
  saleType?: string | undefined;
  renewedEmsProductKeyId?: string | undefined;
  isMovableAcrossVG?: boolean | undefined;
}
export interface RawVirtualGroup {
  id: string;
  name: string | undefined;
  entitlements: RawEntitlementFeature[];
}

/** The org's virtual groups with their entitlements: the org-level call, one part keyed ORG_KEY. */
export const virtualGroups = row({
  path: (_: Record<string, never>) => "/virtual-groups",
  paged: true,
  // Nested entitlements come only with detailedView (documented default: false).
  query: { detailedView: "true" },
  envelope: { list: "virtualGroups", answer: objectKind("answer", ["virtualGroups", "paginationInfo"]) },
  schema: virtualGroup,
  objects: [virtualGroup.kind, entitlement.kind, productKey.kind, entitlementFeature.kind],
  flatten: (vg, parse): RawVirtualGroup[] => [{ id: vg.id, name: vg.name, entitlements: flattenEntitlements(vg.entitlements, parse) }],
});

/** Entitlements → product keys → features, one row per feature with the ids of its entitlement and key. */
function flattenEntitlements(entitlements: readonly unknown[] | undefined, parse: ItemParser): RawEntitlementFeature[] {
  return parse(entitlement, entitlements).flatMap((e) =>
    parse(productKey, e.entitlementProductKeys).flatMap((k) =>
      parse(entitlementFeature, k.entitlementFeatures).map((f) => ({
        ...f,
        emsEntitlementId: e.emsEntitlementId ?? e.id,
        emsProductKeyId: k.emsProductKeyId,
        saleType: k.saleType,
        renewedEmsProductKeyId: k.renewedEmsProductKeyId,
        isMovableAcrossVG: k.isMovableAcrossVG,
      })),
    ),
  );
}
