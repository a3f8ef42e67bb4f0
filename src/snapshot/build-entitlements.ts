import type { RawEntitlementFeature, RawVirtualGroup } from "../cls/endpoints.ts";
import type { FamilyLabels, GroupLabels } from "./labels.ts";
import { least, most, Rows, sum, v } from "./rows.ts";
import type { EntitlementRow, ProductKeyRow, RenewalRow } from "./types.ts";

export interface EntitlementRows {
  entitlements: EntitlementRow[];
  productKeys: ProductKeyRow[];
  renewals: RenewalRow[];
}

/** Entitlement features, and the product keys they came in (a key is known through its features). */
export function buildEntitlements(groups: readonly RawVirtualGroup[]): EntitlementRows {
  const rows = new Rows<EntitlementRow>();
  const keys = new Rows<ProductKeyRow>();
  const renewals = new Rows<RenewalRow>();
  for (const vg of groups) {
    const group: GroupLabels = { virtual_group_id: vg.id, virtual_group_name: v(vg.name) };
    for (const e of vg.entitlements) {
      rows.add(entitlementRow(group, e), mergeEntitlements);
      const key = { ...group, ems_entitlement_id: v(e.emsEntitlementId), ems_product_key_id: v(e.emsProductKeyId) };
      keys.add({ labels: { ...key, sale_type: v(e.saleType), movable_across_vg: flagLabel(e.isMovableAcrossVG) } }, () => {});
      const renewed = e.renewedEmsProductKeyId?.trim();
      if (renewed) renewals.add({ labels: { ...key, renewed_ems_product_key_id: renewed } }, () => {});
    }
  }
  return { entitlements: rows.list(), productKeys: keys.list(), renewals: renewals.list() };
}

const flagLabel = (b: boolean | undefined): string => (b === undefined ? "unknown" : String(b));

function entitlementRow(group: GroupLabels, e: RawEntitlementFeature): EntitlementRow {
  const labels: FamilyLabels<"entitlement"> = {
    ...group,
    feature_name: v(e.featureName),
    feature_version: v(e.featureVersion),
    product_name: v(e.productName),
    license_type: v(e.licenseType),
    ems_entitlement_id: v(e.emsEntitlementId),
    ems_product_key_id: v(e.emsProductKeyId),
  };
  return {
    labels,
    total: e.totalQuantity,
    inUse: e.inUseQuantity,
    unassigned: e.unassignedQuantity,
    end: e.endDate,
    start: e.startDate,
    overagePercent: e.overagePercent,
    overageAvailable: e.availableOverageQuantity,
    overageStart: e.overageStartTime,
    overageDuration: e.overageDuration,
    productFamily: v(e.productFamily),
    productVersion: v(e.productVersion),
  };
}

/** The same feature twice under one key: seats add up, the dates span both, descriptive fields stay the first's. */
function mergeEntitlements(a: EntitlementRow, b: EntitlementRow): void {
  a.total = sum(a.total, b.total);
  a.inUse = sum(a.inUse, b.inUse);
  a.unassigned = sum(a.unassigned, b.unassigned);
  a.end = most(a.end, b.end);
  a.start = least(a.start, b.start);
  a.overagePercent = most(a.overagePercent, b.overagePercent);
  a.overageAvailable = sum(a.overageAvailable, b.overageAvailable);
  a.overageStart = least(a.overageStart, b.overageStart);
  a.overageDuration = most(a.overageDuration, b.overageDuration);
}
