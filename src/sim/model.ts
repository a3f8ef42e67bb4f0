/**
 * In-memory model of one CLS org. Objects are kept in wire format (exactly what the API returns,
 * unknown fields included) so routes can serve them as they are; the only hidden state is the
 * lease assignment (which server feature and pool a lease consumes) and which service instances
 * report a client, which the wire format does not reveal.
 */

export interface WireEntitlementFeature {
  featureName: string;
  totalQuantity: number;
  inUseQuantity: number;
  unassignedQuantity: number;
  [k: string]: unknown;
}

export interface WireProductKey {
  emsProductKeyId: string;
  entitlementFeatures: WireEntitlementFeature[];
  [k: string]: unknown;
}

export interface WireEntitlement {
  emsEntitlementId: string;
  entitlementProductKeys: WireProductKey[];
  [k: string]: unknown;
}

export interface WireVirtualGroup {
  id: number;
  name: string;
  entitlements?: WireEntitlement[];
  [k: string]: unknown;
}

export interface WireServerFeature {
  id: string;
  featureName: string;
  totalQuantity: number;
  [k: string]: unknown;
}

export interface WireLicenseServer {
  id: string;
  name: string;
  serviceInstanceId?: string;
  licenseServerFeatures: WireServerFeature[];
  [k: string]: unknown;
}

export interface WirePoolFeature {
  licenseServerFeatureId: string;
  totalAllotment: number;
  inUse: number;
  [k: string]: unknown;
}

export interface WireLicensePool {
  id: string;
  name: string;
  licensePoolFeatures: WirePoolFeature[];
  [k: string]: unknown;
}

export interface WireLease {
  leaseId: string;
  featureName: string;
  /** Real data sometimes omits it or sends 0; both count as one seat. */
  leaseCount?: number;
  licenseAllotmentFeatureId?: string;
  [k: string]: unknown;
}

export interface WireClient {
  leases: WireLease[];
  additionalProperties?: { license_server_id?: string; license_server_name?: string; [k: string]: unknown };
  [k: string]: unknown;
}

/**
 * A server feature whose leases follow the hour of the day (UTC) instead of random churn: the demo
 * scenario's feature that runs at capacity around midday (src/sim/daily-curve.ts).
 */
export interface DailyCurve {
  vgId: number;
  serverId: string;
  serverFeatureId: string;
  poolId: string;
  /** Leases held from `nightEndsHour` back to `nightStartsHour`. */
  night: number;
  /** Leases held from `peakStartsHour` to `peakEndsHour` (the pool's allotment: full). */
  peak: number;
  nightEndsHour: number;
  peakStartsHour: number;
  peakEndsHour: number;
  nightStartsHour: number;
}

/** A client plus the service instances whose leases call reports it (two when CLS double-reports). */
export interface SimClient {
  instanceIds: string[];
  wire: WireClient;
}

/** Hidden truth about one lease: what it consumes. Pool attribution is invisible on the wire. */
export interface LeaseAssignment {
  vgId: number;
  serverId: string;
  serverFeatureId: string;
  poolId: string | null;
}

export interface SimModel {
  orgName: string;
  /** Order matters: the first group is the default one (`only-default=true`). */
  virtualGroups: WireVirtualGroup[];
  serversByVg: Map<number, WireLicenseServer[]>;
  poolsByServer: Map<string, WireLicensePool[]>;
  clientsByVg: Map<number, SimClient[]>;
  assignments: Map<string, LeaseAssignment>;
  /** featureName -> productFamily, for the `productFamily` list of the license-servers call. */
  productFamilies: Map<string, string>;
  /** Lease count churn gravitates to, so long demos neither drain nor saturate. */
  baselineLeases: number;
  /** Features that follow the clock rather than churn; empty except in the demo scenario. */
  dailyCurves: DailyCurve[];
}

export function emptyModel(orgName: string): SimModel {
  return {
    orgName,
    virtualGroups: [],
    serversByVg: new Map(),
    poolsByServer: new Map(),
    clientsByVg: new Map(),
    assignments: new Map(),
    productFamilies: new Map(),
    baselineLeases: 0,
    dailyCurves: [],
  };
}

/** CLS counts a missing or zero leaseCount as one seat. */
export function leaseUnits(lease: WireLease): number {
  const n = lease.leaseCount;
  return typeof n === "number" && n > 0 ? n : 1;
}

export function findVg(model: SimModel, vgId: number): WireVirtualGroup | undefined {
  return model.virtualGroups.find((vg) => vg.id === vgId);
}

export function findServer(model: SimModel, vgId: number, serverId: string): WireLicenseServer | undefined {
  return model.serversByVg.get(vgId)?.find((s) => s.id === serverId);
}

/** Every distinct lease once, even when two instances report it. */
export function* distinctLeases(model: SimModel): Generator<{ vgId: number; client: SimClient; lease: WireLease }> {
  const seen = new Set<string>();
  for (const [vgId, clients] of model.clientsByVg) {
    for (const client of clients) {
      for (const lease of client.wire.leases) {
        if (seen.has(lease.leaseId)) continue;
        seen.add(lease.leaseId);
        yield { vgId, client, lease };
      }
    }
  }
}

/** Distinct service instances of a group's servers: one leases call each. */
export function instancesOf(model: SimModel, vgId: number): string[] {
  const ids = new Set<string>();
  for (const s of model.serversByVg.get(vgId) ?? []) if (s.serviceInstanceId) ids.add(s.serviceInstanceId);
  return [...ids];
}

export function countLeases(model: SimModel): number {
  let n = 0;
  for (const _ of distinctLeases(model)) n++;
  return n;
}
