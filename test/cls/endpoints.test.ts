/**
 * The endpoint table walked by the client, against a scripted HttpGet (no HTTP at all): what each
 * row asks for (path, query, headers, paging) and what it makes of the answer (envelope, flatten).
 */
import { describe, expect, test } from "bun:test";
import { createClient, type InvalidCounts } from "../../src/cls/client.ts";
import { callsOf, childrenOf, ENDPOINT_NAMES, ENDPOINTS, kindsOf, ORG_KEY, parentOf, type RawServer } from "../../src/cls/endpoints.ts";
import type { GetRequest } from "../../src/cls/http.ts";
import { ClsError } from "../../src/errors.ts";
import { hintFor } from "../../src/snapshot/causes.ts";

const budget = { signal: new AbortController().signal, deadline: Number.POSITIVE_INFINITY };

/** A client whose every GET is answered by `answer` and recorded. */
function scripted(answer: (req: GetRequest, n: number) => unknown, serviceInstanceId?: string) {
  const requests: GetRequest[] = [];
  const invalid: InvalidCounts = new Map();
  const client = createClient(
    async (req) => {
      requests.push(req);
      return answer(req, requests.length);
    },
    { orgName: "my org", serviceInstanceId, invalid },
  );
  return { client, requests, invalid };
}

const gzipped = (value: unknown) => Buffer.from(Bun.gzipSync(new TextEncoder().encode(JSON.stringify(value)))).toString("base64");

describe("the table", () => {
  test("names every endpoint once, upstream first", () => {
    expect(ENDPOINT_NAMES).toEqual(["virtual_groups", "license_servers", "license_pools", "leases"]);
    expect(Object.keys(ENDPOINTS)).toEqual([...ENDPOINT_NAMES]);
  });

  test("is well formed: one org-level row first, every parent a row named earlier, every endpoint a 404 hint", () => {
    expect(childrenOf(undefined)).toEqual(["virtual_groups"]);
    for (const [i, name] of ENDPOINT_NAMES.entries()) {
      const parent = parentOf(name);
      if (parent !== undefined) expect(ENDPOINT_NAMES.indexOf(parent)).toBeWithin(0, i);
      expect(hintFor(name, "404")).toBeString();
    }
    expect(ENDPOINT_NAMES.map((n) => [n, childrenOf(n)])).toEqual([
      ["virtual_groups", ["license_servers"]],
      ["license_servers", ["license_pools", "leases"]],
      ["license_pools", []],
      ["leases", []],
    ]);
  });

  test("each child's calls: servers per group, pools per server, leases per distinct service instance", () => {
    const groups = {
      key: ORG_KEY,
      args: {},
      rows: [
        { id: "4/1", name: undefined, entitlements: [] },
        { id: "5", name: "b", entitlements: [] },
      ],
    };
    expect(callsOf("license_servers", groups)).toEqual([
      { key: "4%2F1", args: { vgId: "4/1" } },
      { key: "5", args: { vgId: "5" } },
    ]);
    const server = (id: string, serviceInstanceId: string | undefined) => ({ id, serviceInstanceId }) as RawServer;
    const servers = {
      key: "4",
      args: { vgId: "4" },
      rows: [server("a", "i1"), server("b", undefined), server("c", "i1"), server("d", "")],
    };
    expect(callsOf("license_pools", servers).map((c) => c.key)).toEqual(["4/a", "4/b", "4/c", "4/d"]);
    expect(callsOf("license_pools", servers)[0]!.args).toEqual({ vgId: "4", serverId: "a" });
    expect(callsOf("leases", servers)).toEqual([
      { key: "4/i1", args: { vgId: "4", instanceId: "i1" } },
      { key: "4/", args: { vgId: "4", instanceId: undefined } },
    ]);
    expect(callsOf("virtual_groups", groups)).toEqual([]);
  });

  test("each row's path is under the org, with ids encoded", async () => {
    const { client, requests } = scripted((req) => ({ [ENDPOINTS[req.endpoint].envelope.list]: [] }));
    await client.list("virtual_groups", {}, budget);
    await client.list("license_servers", { vgId: "4/1" }, budget);
    await client.list("license_pools", { vgId: "4", serverId: "s 1" }, budget);
    await client.list("leases", { vgId: "4", instanceId: "i-1" }, budget);
    expect(requests.map((r) => [r.endpoint, r.path])).toEqual([
      ["virtual_groups", "/v1/org/my%20org/virtual-groups"],
      ["license_servers", "/v1/org/my%20org/virtual-groups/4%2F1/license-servers"],
      ["license_pools", "/v1/org/my%20org/virtual-groups/4/license-servers/s%201/license-pools"],
      ["leases", "/v1/org/my%20org/virtual-groups/4/leases/all"],
    ]);
  });

  test("paged rows send paging from the first call, with the row's own query; the others send none", async () => {
    const { client, requests } = scripted((req) => ({ [ENDPOINTS[req.endpoint].envelope.list]: [] }));
    await client.list("virtual_groups", {}, budget);
    await client.list("license_servers", { vgId: "4" }, budget);
    await client.list("license_pools", { vgId: "4", serverId: "s" }, budget);
    expect(requests.map((r) => r.query)).toEqual([
      { detailedView: "true", "page-number": "1", "page-size": "100" },
      { "page-number": "1", "page-size": "100" },
      undefined,
    ]);
  });

  test("the instance header: the row's own id, else the configured one, else none", async () => {
    const { client, requests } = scripted((req) => ({ [ENDPOINTS[req.endpoint].envelope.list]: [] }), "configured");
    await client.list("leases", { vgId: "4", instanceId: "per-call" }, budget);
    await client.list("leases", { vgId: "4", instanceId: undefined }, budget);
    await client.list("license_servers", { vgId: "4" }, budget);
    expect(requests.map((r) => r.headers)).toEqual([
      { "x-nv-service-instance-id": "per-call" },
      { "x-nv-service-instance-id": "configured" },
      { "x-nv-service-instance-id": "configured" },
    ]);
    const bare = scripted(() => ({ licenseServers: [] }));
    await bare.client.list("license_servers", { vgId: "4" }, budget);
    expect(bare.requests[0]!.headers).toEqual({});
  });
});

describe("paging", () => {
  test("walks pages until paginationInfo's totals say the end is reached", async () => {
    const { client, requests } = scripted((_, n) => ({
      licenseServers: [{ id: `s${n}a` }, { id: `s${n}b` }],
      paginationInfo: { totalPages: 3 },
    }));
    const servers = await client.list("license_servers", { vgId: "4" }, budget);
    expect(servers.map((s) => s.id)).toEqual(["s1a", "s1b", "s2a", "s2b", "s3a", "s3b"]);
    expect(requests.map((r) => r.query?.["page-number"])).toEqual(["1", "2", "3"]);
  });

  test("without totals, a short page ends the walk", async () => {
    const full = Array.from({ length: 100 }, (_, i) => ({ id: `g${i}` }));
    const { client, requests } = scripted((_, n) => ({ virtualGroups: n === 1 ? full : [{ id: "last" }] }));
    expect(await client.list("virtual_groups", {}, budget)).toHaveLength(101);
    expect(requests).toHaveLength(2);
  });

  test("an unpaged row that turns out to be paged keeps the server's page size", async () => {
    const { client, requests } = scripted((_, n) => ({ licensePools: [{ id: `p${n}` }], paginationInfo: { pageSize: 1, totalPages: 2 } }));
    expect((await client.list("license_pools", { vgId: "4", serverId: "s" }, budget)).map((p) => p.id)).toEqual(["p1", "p2"]);
    expect(requests.map((r) => r.query)).toEqual([undefined, { "page-number": "2", "page-size": "1" }]);
  });
});

describe("envelopes", () => {
  test("a list that is not an array is a decode error naming the endpoint", async () => {
    const { client } = scripted(() => ({ licensePools: { not: "a list" } }));
    const err = await client.list("license_pools", { vgId: "4", serverId: "s" }, budget).catch((e) => e);
    expect(err).toBeInstanceOf(ClsError);
    expect(err).toMatchObject({ kind: "decode", endpoint: "license_pools", reason: "decode" });
  });

  test("a missing list is a decode error, except where a compressed copy may stand in", async () => {
    expect(
      await scripted(() => ({}))
        .client.list("license_servers", { vgId: "4" }, budget)
        .catch((e) => e),
    ).toMatchObject({ kind: "decode", endpoint: "license_servers" });
    expect(await scripted(() => ({})).client.list("leases", { vgId: "4", instanceId: "i" }, budget)).toEqual([]);
  });

  test("the compressed copy replaces the list when non-empty", async () => {
    const clients = [{ leases: [{ leaseId: "L1", featureName: "vPC" }] }];
    const { client } = scripted(() => ({ clients: [{ leases: [{ leaseId: "ignored" }] }], compressedClients: gzipped({ clients }) }));
    expect((await client.list("leases", { vgId: "4", instanceId: "i" }, budget)).map((l) => l.leaseId)).toEqual(["L1"]);
    const empty = scripted(() => ({ clients: [{ leases: [{ leaseId: "L2" }] }], compressedClients: "" }));
    expect((await empty.client.list("leases", { vgId: "4", instanceId: "i" }, budget)).map((l) => l.leaseId)).toEqual(["L2"]);
  });
});

describe("flatten", () => {
  test("virtual groups: one row per entitlement feature, with its entitlement and product key ids", async () => {
    const feature = (featureName: string) => ({ featureName, totalQuantity: 4 });
    const { client } = scripted(() => ({
      virtualGroups: [
        {
          id: 7,
          name: "vg",
          entitlements: [
            { id: "e-1", entitlementProductKeys: [{ emsProductKeyId: "k1", entitlementFeatures: [feature("a"), feature("b")] }] },
            { id: "e-2", emsEntitlementId: "EMS-2", entitlementProductKeys: [{ entitlementFeatures: [feature("c")] }] },
          ],
        },
      ],
    }));
    const [vg] = await client.list("virtual_groups", {}, budget);
    expect(vg!.id).toBe("7");
    expect(vg!.entitlements.map((e) => [e.emsEntitlementId, e.emsProductKeyId, e.featureName])).toEqual([
      ["e-1", "k1", "a"],
      ["e-1", "k1", "b"],
      ["EMS-2", undefined, "c"],
    ]);
  });

  test("leases: one row per lease, with its client's server; invalid nested items counted under the endpoint", async () => {
    const { client, invalid } = scripted(() => ({
      clients: [
        {
          leases: [{ leaseId: "L1" }, { featureName: "no id" }],
          additionalProperties: { license_server_id: "srv", license_server_name: "" },
        },
        { leases: [{ leaseId: "L2", leaseCount: "many" }] },
      ],
    }));
    const leases = await client.list("leases", { vgId: "4", instanceId: "i" }, budget);
    expect(leases.map((l) => [l.leaseId, l.serverId, l.serverName, l.leaseCount])).toEqual([
      ["L1", "srv", undefined, undefined],
      ["L2", undefined, undefined, undefined],
    ]);
    expect([...invalid]).toEqual([["leases", 2]]);
  });

  test("servers and pools: nested features parsed; an unreadable field counts its item once, not its siblings", async () => {
    const { client, invalid } = scripted((req) =>
      req.endpoint === "license_servers"
        ? {
            licenseServers: [
              {
                id: "s",
                name: ["x"],
                licenseServerFeatures: [
                  { id: "f", totalQuantity: 3 },
                  { id: "g", totalQuantity: null },
                ],
              },
            ],
          }
        : { licensePools: [{ id: "p", licensePoolFeatures: [{ licenseServerFeatureId: "f", inUse: 2 }] }] },
    );
    const [server] = await client.list("license_servers", { vgId: "4" }, budget);
    expect(server!.features.map((f) => [f.id, f.totalQuantity])).toEqual([
      ["f", 3],
      ["g", undefined],
    ]);
    const [pool] = await client.list("license_pools", { vgId: "4", serverId: "s" }, budget);
    expect(pool!.features).toEqual([{ licenseServerFeatureId: "f", totalAllotment: undefined, inUse: 2 }]);
    // name: ["x"] is unreadable; totalQuantity: null is CLS saying "none".
    expect([...invalid]).toEqual([["license_servers", 1]]);
  });

  test("two clients count their items apart", async () => {
    const bad = scripted(() => ({ licensePools: [{ id: "p", name: {} }] }));
    const good = scripted(() => ({ licensePools: [{ id: "p", name: "fine" }] }));
    await bad.client.list("license_pools", { vgId: "4", serverId: "s" }, budget);
    await good.client.list("license_pools", { vgId: "4", serverId: "s" }, budget);
    expect([...bad.invalid]).toEqual([["license_pools", 1]]);
    expect([...good.invalid]).toEqual([]);
  });
});

describe("each row's kinds of object", () => {
  test("an answer's kind documents its list (and compressed copy); a kind documents the fields holding its nested kinds", () => {
    for (const name of ENDPOINT_NAMES) {
      const { envelope } = ENDPOINTS[name];
      for (const member of [envelope.list, ...(envelope.compressed ? [envelope.compressed] : [])])
        expect([name, envelope.answer.documented.includes(member)]).toEqual([name, true]);
      for (const kind of kindsOf(name))
        for (const field of Object.keys(kind.objects ?? {}))
          expect([kind.name, field, kind.documented.includes(field)]).toEqual([kind.name, field, true]);
    }
  });
});
