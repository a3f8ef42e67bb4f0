import { describe, expect, test } from "bun:test";
import { orgOf } from "../../bench/builder/org.ts";
import type { RawLease, RawServer } from "../../src/cls/client.ts";
import { ORG_KEY } from "../../src/cls/endpoints.ts";
import { emptyOrg, type OrgData } from "../../src/cls/org.ts";
import { buildSnapshot } from "../../src/snapshot/build.ts";

const meta = { collectedAt: 1_000, durationMs: 5, failures: [], invalidItems: [] };

function server(id: string, features: [string, string, number?][], extra: Partial<RawServer> = {}): RawServer {
  return {
    id,
    name: `srv-${id}`,
    status: "ENABLED",
    deployedOn: "CLOUD",
    leasingMode: "STANDARD",
    serviceInstanceId: `inst-${id}`,
    features: features.map(([fid, featureName, totalQuantity]) => ({
      id: fid,
      featureName,
      productName: featureName,
      licenseType: "CONCURRENT",
      totalQuantity,
    })),
    ...extra,
  };
}

function lease(leaseId: string, fields: Partial<RawLease> = {}): RawLease {
  return {
    leaseId,
    featureName: "vPC",
    leaseCount: 1,
    licenseAllotmentFeatureId: undefined,
    serverId: undefined,
    serverName: undefined,
    ...fields,
  };
}

/** One group; every server's instance call answered (with no leases unless `leases` says so). */
function org(servers: RawServer[], leases: Record<string, RawLease[]>): OrgData {
  const data = emptyOrg();
  data.virtual_groups.set(ORG_KEY, [{ id: "1", name: "VG", entitlements: [] }]);
  data.license_servers.set("1", servers);
  for (const s of servers) data.leases.set(`1/${s.serviceInstanceId}`, []);
  for (const [instance, list] of Object.entries(leases)) data.leases.set(`1/${instance}`, list);
  return data;
}

const active = (data: OrgData) =>
  Object.fromEntries(buildSnapshot(data, meta).serverFeatures.map((r) => [`${r.labels.server_id}/${r.labels.feature_name}`, r.active]));

describe("lease attribution", () => {
  const two = [
    server("a", [["fa", "vPC", 10]]),
    server("b", [
      ["fb", "vPC", 5],
      ["fb2", "vWS", 2],
    ]),
  ];
  test.each([
    ["by licenseAllotmentFeatureId", { x: [lease("1", { licenseAllotmentFeatureId: "fb" })] }, { "a/vPC": 0, "b/vPC": 1, "b/vWS": 0 }],
    [
      "feature id wins over a contradicting server id",
      { x: [lease("1", { licenseAllotmentFeatureId: "fa", serverId: "b" })] },
      { "a/vPC": 1, "b/vPC": 0, "b/vWS": 0 },
    ],
    [
      "unknown feature id: named server + feature name",
      { x: [lease("1", { licenseAllotmentFeatureId: "zz", serverId: "b", featureName: "vWS" })] },
      { "a/vPC": 0, "b/vPC": 0, "b/vWS": 1 },
    ],
    [
      "duplicate leaseId across instances counts once",
      { x: [lease("1", { licenseAllotmentFeatureId: "fa" })], y: [lease("1", { licenseAllotmentFeatureId: "fa" })] },
      { "a/vPC": 1, "b/vPC": 0, "b/vWS": 0 },
    ],
    [
      "leaseCount 0, negative or missing counts as 1, larger counts add up",
      {
        x: [
          lease("1", { licenseAllotmentFeatureId: "fa", leaseCount: 0 }),
          lease("2", { licenseAllotmentFeatureId: "fa", leaseCount: undefined }),
          lease("3", { licenseAllotmentFeatureId: "fa", leaseCount: 3 }),
          lease("4", { licenseAllotmentFeatureId: "fa", leaseCount: -7 }),
        ],
      },
      { "a/vPC": 6, "b/vPC": 0, "b/vWS": 0 },
    ],
  ])("%s", (_, leases, want) => expect(active(org(two, leases))).toEqual(want));

  test("a lease naming no server belongs to a group's only server", () => {
    expect(active(org([server("a", [["fa", "vPC", 10]])], { x: [lease("1")] }))).toEqual({ "a/vPC": 1 });
  });

  test("with several servers it is unattributed: counted, not dropped", () => {
    const s = buildSnapshot(org(two, { x: [lease("1"), lease("2", { leaseCount: 2 }), lease("3", { featureName: undefined })] }), meta);
    expect(s.serverFeatures.every((r) => r.active === 0)).toBe(true);
    expect(s.unattributed.map((r) => [r.labels.feature_name, r.count])).toEqual([
      ["vPC", 3],
      ["unknown", 1],
    ]);
  });
});

describe("leases across groups and unknown leases", () => {
  test("a lease reported in one group's call counts for the server of another group that owns its feature id", () => {
    const data = org([server("a", [["fa", "vPC", 10]]), server("c", [["fc", "vPC", 1]])], {});
    data.virtual_groups.get(ORG_KEY)!.push({ id: "2", name: "VG2", entitlements: [] });
    data.license_servers.set("2", [server("b", [["fb", "vWS", 5]])]);
    data.leases.set("2/inst-b", []);
    data.leases.set("1/inst-a", [lease("L1", { licenseAllotmentFeatureId: "fb" })]);
    data.leases.set("2/inst-b", [lease("L1", { licenseAllotmentFeatureId: "fb" })]);
    const s = buildSnapshot(data, meta);
    expect(active(data)).toEqual({ "a/vPC": 0, "c/vPC": 0, "b/vWS": 1 });
    expect(s.unattributed).toEqual([]);
  });

  test("a server whose instance call has no data shows no active-lease number, not 0", () => {
    const data = org([server("a", [["fa", "vPC", 10]]), server("b", [["fb", "vPC", 5]])], {});
    data.leases.delete("1/inst-b");
    data.leases.set("1/inst-a", [lease("1", { licenseAllotmentFeatureId: "fa" }), lease("2", { licenseAllotmentFeatureId: "fb" })]);
    expect(active(data)).toEqual({ "a/vPC": 1, "b/vPC": undefined });
  });
});

describe("labels and rows", () => {
  test("missing values become 'unknown', never empty", () => {
    const s = buildSnapshot(org([server("a", [["fa", "", undefined]], { name: undefined, status: " ", deployedOn: undefined })], {}), meta);
    expect(s.servers[0]!.labels).toMatchObject({ server_name: "unknown", status: "unknown", deployed_on: "unknown" });
    expect(s.serverFeatures[0]).toMatchObject({ total: undefined, active: 0, labels: { feature_name: "unknown" } });
  });

  test("two server features with the same labels are one series whose numbers add up", () => {
    const s = buildSnapshot(
      org(
        [
          server("a", [
            ["f1", "vPC", 10],
            ["f2", "vPC", 6],
          ]),
        ],
        { x: [lease("1", { licenseAllotmentFeatureId: "f1" }), lease("2", { licenseAllotmentFeatureId: "f2" })] },
      ),
      meta,
    );
    expect(s.serverFeatures.map((r) => [r.total, r.active])).toEqual([[16, 2]]);
  });

  test("a feature split over two product keys stays two entitlement series", () => {
    const data = org([], {});
    const feature = {
      featureName: "vWS",
      featureVersion: "1.0",
      productName: "vWS",
      licenseType: "CONCURRENT",
      inUseQuantity: 1,
      unassignedQuantity: 0,
    };
    data.virtual_groups.get(ORG_KEY)![0]!.entitlements = [
      { ...feature, emsEntitlementId: "E1", emsProductKeyId: "PK-1", totalQuantity: 72, endDate: Date.UTC(2027, 11, 31) / 1000 },
      {
        ...feature,
        emsEntitlementId: "E1",
        emsProductKeyId: "PK-2",
        totalQuantity: 128,
        endDate: Date.UTC(2027, 11, 31, 23, 59, 59) / 1000,
      },
    ];
    const rows = buildSnapshot(data, meta).entitlements;
    expect(rows.map((r) => [r.labels.ems_product_key_id, r.total, r.end])).toEqual([
      ["PK-1", 72, Date.UTC(2027, 11, 31) / 1000],
      ["PK-2", 128, Date.UTC(2027, 11, 31, 23, 59, 59) / 1000],
    ]);
  });

  // The date's shape is read by the field type (test/cls/dates.test.ts): one it cannot read arrives here absent.
  test("an end date read as absent gives no end timestamp", () => {
    const data = org([], {});
    data.virtual_groups.get(ORG_KEY)![0]!.entitlements = [
      {
        emsEntitlementId: "E",
        emsProductKeyId: "K",
        featureName: "f",
        featureVersion: undefined,
        productName: undefined,
        licenseType: undefined,
        endDate: undefined,
        totalQuantity: 1,
        inUseQuantity: undefined,
        unassignedQuantity: undefined,
      },
    ];
    expect(buildSnapshot(data, meta).entitlements[0]!.end).toBeUndefined();
  });

  test("pools are labelled with their server and the feature named by licenseServerFeatureId", () => {
    const data = org([server("a", [["fa", "vPC", 10]])], {});
    data.license_pools.set("1/a", [
      {
        id: "p",
        name: "default",
        features: [
          { licenseServerFeatureId: "fa", totalAllotment: 10, inUse: 4 },
          { licenseServerFeatureId: "gone", totalAllotment: 1, inUse: 0 },
        ],
      },
    ]);
    const pools = buildSnapshot(data, meta).pools;
    expect(pools.map((p) => [p.labels.server_name, p.labels.pool_name, p.labels.feature_name, p.allotment, p.inUse])).toEqual([
      ["srv-a", "default", "vPC", 10, 4],
      ["srv-a", "default", "unknown", 1, 0],
    ]);
  });
});

describe("up", () => {
  test("is true without failures and false with any", () => {
    expect(buildSnapshot(org([], {}), meta).up).toBe(true);
    const failure = { endpoint: "leases", reason: "5xx", status: 503, message: "x", stale: true } as const;
    expect(buildSnapshot(org([], {}), { ...meta, failures: [failure] }).up).toBe(false);
  });

  test("an org whose group list never arrived is empty, not a crash", () => {
    const s = buildSnapshot(emptyOrg(), meta);
    expect([s.servers, s.serverFeatures, s.entitlements, s.pools]).toEqual([[], [], [], []]);
  });
});

describe("work grows with the org, not with its square", () => {
  /** Counts the passes over its entries and the lookups, which is how a builder reads the lease parts. */
  class CountingMap<K, V> extends Map<K, V> {
    passes = 0;
    lookups = 0;
    override [Symbol.iterator]() {
      this.passes++;
      return super[Symbol.iterator]();
    }
    override entries() {
      this.passes++;
      return super.entries();
    }
    override values() {
      this.passes++;
      return super.values();
    }
    override keys() {
      this.passes++;
      return super.keys();
    }
    override forEach(f: (value: V, key: K, map: Map<K, V>) => void) {
      this.passes++;
      super.forEach(f);
    }
    override get(key: K) {
      this.lookups++;
      return super.get(key);
    }
    override has(key: K) {
      this.lookups++;
      return super.has(key);
    }
  }

  test("the lease parts are walked once per build, and looked up a bounded number of times per server", () => {
    for (const groups of [10, 200]) {
      const data = orgOf(groups);
      const leases = new CountingMap(data.leases);
      data.leases = leases;
      const s = buildSnapshot(data, meta);
      expect(s.serverFeatures).toHaveLength(groups * 2);
      expect(leases.passes).toBeLessThanOrEqual(1);
      // One "are this server's leases known" per server (one per group here), none per lease.
      expect(leases.lookups).toBeLessThanOrEqual(groups);
    }
  });
});
