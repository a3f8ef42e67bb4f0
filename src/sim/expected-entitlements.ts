/** Ground truth of one entitlement feature of one product key: the numbers, dates and descriptive fields a correct exporter shows. */
import { readDate } from "../cls/dates.ts";
import type { EntitlementNumbers } from "./derive.ts";

export interface ExpectedEntitlementFeature {
  vgId: number;
  emsEntitlementId: string;
  emsProductKeyId: string;
  featureName: string;
  total: number;
  inUse: number;
  unassigned: number;
  endDate: string | null;
  /**
   * The documented dates in unix seconds, null when unset. The simulator serves them in varied
   * shapes; they are read with the exporter's own date parser, whose readings test/cls/dates.test.ts
   * pins down, so these compare the path from the wire to the series, not the parser against itself.
   */
  start: number | null;
  end: number | null;
  overageStart: number | null;
  overagePercent: number | null;
  overageAvailable: number | null;
  overageDuration: number | null;
  productFamily: string | null;
  productVersion: string | null;
  saleType: string | null;
  /** isMovableAcrossVG, sent as a boolean or its string. */
  movableAcrossVg: boolean | null;
  /** The key this one renews; null when it renews none. */
  renewedEmsProductKeyId: string | null;
}

export function entitlementFeature(n: EntitlementNumbers): ExpectedEntitlementFeature {
  const f = n.feature;
  const date = (value: unknown) => {
    const d = readDate(value);
    return typeof d === "number" ? d : null;
  };
  const num = (value: unknown) => (typeof value === "number" ? value : null);
  const str = (value: unknown) => (typeof value === "string" && value.trim() !== "" ? value : null);
  const movable = n.key.isMovableAcrossVG;
  return {
    vgId: n.vgId,
    emsEntitlementId: n.emsEntitlementId,
    emsProductKeyId: n.emsProductKeyId,
    featureName: f.featureName,
    total: f.totalQuantity,
    inUse: n.inUse,
    unassigned: n.unassigned,
    endDate: typeof f.endDate === "string" ? f.endDate : null,
    start: date(f.startDate),
    end: date(f.endDate),
    overageStart: date(f.overageStartTime),
    overagePercent: num(f.overagePercent),
    overageAvailable: num(f.availableOverageQuantity),
    overageDuration: num(f.overageDuration),
    productFamily: str(f.productFamily),
    productVersion: str(f.productVersion),
    saleType: str(n.key.saleType),
    movableAcrossVg: typeof movable === "boolean" ? movable : movable === "true" ? true : movable === "false" ? false : null,
    renewedEmsProductKeyId: str(n.key.renewedEmsProductKeyId),
  };
}
