import { describe, expect, test } from "bun:test";
import type { RawLease } from "../../src/cls/client.ts";
import { ORG_KEY } from "../../src/cls/endpoints.ts";
import { emptyOrg } from "../../src/cls/org.ts";
import { buildSnapshot } from "../../src/snapshot/build.ts";
import { type DemandRow, demandOf } from "../../src/snapshot/demand.ts";
import type { EntitlementRow, Snapshot } from "../../src/snapshot/types.ts";
import { EVERY_FIELD_META, emptySnapshot, keyRow } from "./fixture.ts";

const DAY = 86_400;
/** collectedAt of every snapshot below: 2026-06-01T00:00:00Z. */
const NOW = Date.UTC(2026, 5, 1) / 1000;
const G1 = { virtual_group_id: "1", virtual_group_name: "one" };
const G2 = { virtual_group_id: "2", virtual_group_name: "two" };
type Group = typeof G1;

const key = keyRow;

const renewal = (group: Group, id: string, renews: string) => ({
  labels: { ...group, ems_entitlement_id: "E", ems_product_key_id: id, renewed_ems_product_key_id: renews },
});

function serverFeature(group: Group, server: string, feature: string, active: number | undefined) {
  const labels = { ...group, server_id: server, server_name: server, feature_name: feature, product_name: feature, license_type: "C" };
  return { labels, total: 10, active };
}

const snap = (over: Partial<Snapshot>) => emptySnapshot({ collectedAt: NOW * 1000, ...over });

/** scope/group/feature → [in use, seats, overage], `-` for no number. */
function table(rows: DemandRow[]): Record<string, string> {
  const out: Record<string, string> = {};
  const n = (x: number | undefined) => (x === undefined ? "-" : String(x));
  for (const r of rows) {
    const name = r.labels.scope === "org" ? `org ${r.labels.feature_name}` : `${r.labels.virtual_group_id} ${r.labels.feature_name}`;
    out[name] = `${n(r.inUse)} ${n(r.seats)} ${n(r.overage)}`;
  }
  return out;
}

describe("seats bought", () => {
  const cases: [string, EntitlementRow[], Snapshot["renewals"], string][] = [
    ["a feature split over two keys: 72 + 128", [key(G1, "A", "vPC", { total: 72 }), key(G1, "B", "vPC", { total: 128 })], [], "0 200 -"],
    [
      "an expired key does not count",
      [key(G1, "A", "vPC", { total: 72, end: NOW - DAY }), key(G1, "B", "vPC", { total: 128 })],
      [],
      "0 128 -",
    ],
    ["a key ending exactly now has ended (end is exclusive)", [key(G1, "A", "vPC", { total: 72, end: NOW })], [], "0 0 -"],
    ["a key not yet started does not count", [key(G1, "A", "vPC", { total: 72, start: NOW + DAY })], [], "0 0 -"],
    ["a key starting exactly now counts", [key(G1, "A", "vPC", { total: 72, start: NOW, end: NOW + DAY })], [], "0 72 -"],
    ["a key without dates counts", [key(G1, "A", "vPC", { total: 5, start: undefined, end: undefined })], [], "0 5 -"],
    [
      "a renewal not yet started: the old key counts, the new one not yet",
      [key(G1, "OLD", "vPC", { total: 100, end: NOW + DAY }), key(G1, "NEW", "vPC", { total: 120, start: NOW + DAY })],
      [renewal(G1, "NEW", "OLD")],
      "0 100 -",
    ],
    [
      "a renewal started: only the renewing key counts, even while the old one has not ended",
      [key(G1, "OLD", "vPC", { total: 100, end: NOW + DAY }), key(G1, "NEW", "vPC", { total: 120, start: NOW - DAY })],
      [renewal(G1, "NEW", "OLD")],
      "0 120 -",
    ],
    [
      "a renewing key that has itself ended replaces nothing",
      [key(G1, "OLD", "vPC", { total: 100 }), key(G1, "NEW", "vPC", { total: 120, end: NOW - DAY })],
      [renewal(G1, "NEW", "OLD")],
      "0 100 -",
    ],
    [
      "overage is beside the seats, never in them",
      [key(G1, "A", "vPC", { total: 72, overageAvailable: 14 }), key(G1, "B", "vPC", { total: 128, overageAvailable: 0 })],
      [],
      "0 200 14",
    ],
    ["overage of an expired key is not available", [key(G1, "A", "vPC", { total: 72, overageAvailable: 14, end: NOW - 1 })], [], "0 0 -"],
    ["an active key without totalQuantity: no number rather than too few", [key(G1, "A", "vPC", { total: undefined })], [], "0 - -"],
  ];
  test.each(cases)("%s", (_, entitlements, renewals, want) => {
    expect(table(demandOf(snap({ entitlements, renewals })))).toEqual({ "1 vPC": want, "org vPC": want });
  });
});

describe("seats in use", () => {
  test("leases on two servers of a group add up, with the group's unattributed leases of the feature", () => {
    const s = snap({
      serverFeatures: [serverFeature(G1, "s1", "vPC", 3), serverFeature(G1, "s2", "vPC", 4), serverFeature(G1, "s2", "vWS", 1)],
      unattributed: [{ labels: { ...G1, feature_name: "vPC" }, count: 2 }],
    });
    expect(table(demandOf(s))).toEqual({ "1 vPC": "9 0 -", "1 vWS": "1 0 -", "org vPC": "9 0 -", "org vWS": "1 0 -" });
  });

  test("a server feature whose leases could not be read makes the scope's number unknown, not smaller", () => {
    const s = snap({
      serverFeatures: [serverFeature(G1, "s1", "vPC", 3), serverFeature(G1, "s2", "vPC", undefined), serverFeature(G2, "s3", "vPC", 5)],
    });
    expect(table(demandOf(s))).toEqual({ "1 vPC": "- 0 -", "2 vPC": "5 0 -", "org vPC": "- 0 -" });
  });

  test("a lease reported by two service instances counts once; leases on two servers of a group add up", () => {
    const data = emptyOrg();
    const lease = (leaseId: string, fid: string): RawLease => ({
      leaseId,
      featureName: "vPC",
      leaseCount: 1,
      licenseAllotmentFeatureId: fid,
      serverId: undefined,
      serverName: undefined,
    });
    const feature = (id: string) => ({ id, featureName: "vPC", productName: "vPC", licenseType: "C", totalQuantity: 10 });
    data.virtual_groups.set(ORG_KEY, [{ id: "1", name: "one", entitlements: [] }]);
    data.license_servers.set("1", [
      { id: "s1", name: "a", serviceInstanceId: "i1", features: [feature("f1")] },
      { id: "s2", name: "b", serviceInstanceId: "i2", features: [feature("f2")] },
    ]);
    // L1 is reported by both instances; L2 and L3 are on the second server.
    data.leases.set("1/i1", [lease("L1", "f1")]);
    data.leases.set("1/i2", [lease("L1", "f1"), lease("L2", "f2"), lease("L3", "f2")]);
    const s = buildSnapshot(data, { ...EVERY_FIELD_META, failures: [] });
    expect(table(demandOf(s))).toEqual({ "1 vPC": "3 0 -", "org vPC": "3 0 -" });
  });
});

test("the org row of a feature adds up its groups; org rows carry no group labels", () => {
  const s = snap({
    entitlements: [
      key(G1, "A", "vPC", { total: 72, overageAvailable: 7, end: NOW + 9 * DAY }),
      key(G2, "B", "vPC", { total: 128, end: NOW + 3 * DAY }),
      key(G2, "C", "vWS", { total: 4 }),
    ],
    serverFeatures: [serverFeature(G1, "s1", "vPC", 70), serverFeature(G2, "s2", "vPC", 100)],
    unattributed: [{ labels: { ...G2, feature_name: "vApps" }, count: 1 }],
  });
  const rows = demandOf(s);
  expect(table(rows)).toEqual({
    "1 vPC": "70 72 7",
    "2 vPC": "100 128 -",
    "2 vApps": "1 0 -",
    "2 vWS": "0 4 -",
    "org vPC": "170 200 7",
    "org vApps": "1 0 -",
    "org vWS": "0 4 -",
  });
  const org = rows.find((r) => r.labels.scope === "org" && r.labels.feature_name === "vPC")!;
  expect(org.labels).toEqual({ scope: "org", feature_name: "vPC" });
  expect(org.expires).toBe(NOW + 3 * DAY);
  expect(rows.find((r) => r.labels.scope === "virtual_group")!.labels).toEqual({ scope: "virtual_group", ...G1, feature_name: "vPC" });
});

test("a renewal pair in two groups: the renewed key's group loses its seats once the renewal is active", () => {
  const s = snap({
    entitlements: [key(G1, "OLD", "vPC", { total: 50 }), key(G2, "NEW", "vPC", { total: 60, start: NOW - DAY })],
    renewals: [renewal(G2, "NEW", "OLD")],
  });
  expect(table(demandOf(s))).toEqual({ "1 vPC": "0 0 -", "2 vPC": "0 60 -", "org vPC": "0 60 -" });
});
