import { afterEach, describe, expect, test } from "bun:test";
import { ClsError } from "../../src/errors.ts";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { generateOrg } from "../../src/sim/generate.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import { budget, clientFor, KEY } from "./harness.ts";

let sim: Simulator;
afterEach(() => sim?.stop());

const start = (opts: { compressedLeases?: boolean; scenario?: ReturnType<typeof loadScenario> } = {}) =>
  (sim = startSimulator({ scenario: opts.scenario ?? loadScenario("lic-example"), apiKey: KEY, compressedLeases: opts.compressedLeases }));

describe("requests", () => {
  test("send the key, accept, user-agent, detailedView and explicit paging", async () => {
    start();
    const { client } = clientFor(sim);
    const groups = await client.list("virtual_groups", {}, budget());
    expect(groups.map((g) => g.id)).toEqual(["4101", "4102"]);
    const [req] = sim.stats().requests;
    expect(req!.keyOk).toBe(true);
    expect(req!.headers.accept).toBe("application/json");
    expect(req!.headers["user-agent"]).toBe("exporter-test/1");
    expect(req!.query).toEqual({ detailedView: "true", "page-number": "1", "page-size": "100" });
    expect(req!.headers["x-nv-service-instance-id"]).toBeUndefined();
  });

  test("leases go once per service instance with its header; NVIDIA_SERVICE_INSTANCE_ID elsewhere", async () => {
    start();
    const { client } = clientFor(sim, { serviceInstanceId: "configured-instance" });
    await client.list("license_servers", { vgId: "4101" }, budget());
    const leases = await client.list("leases", { vgId: "4101", instanceId: "ae65bb2a-e7e2-5f70-bb4c-b4d3e3bd12ac" }, budget());
    const [servers, leaseReq] = sim.stats().requests;
    expect(servers!.headers["x-nv-service-instance-id"]).toBe("configured-instance");
    expect(leaseReq!.path).toBe("/v1/org/lic-example/virtual-groups/4101/leases/all");
    expect(leaseReq!.headers["x-nv-service-instance-id"]).toBe("ae65bb2a-e7e2-5f70-bb4c-b4d3e3bd12ac");
    expect(leases).toHaveLength(5);
    expect(leases.every((l) => l.serverId === "ee1f75a7-4ce5-589b-a846-44b96a1fc5dd" && l.serverName === "cls-hq-prod")).toBe(true);
  });

  test("entitlements are flattened per product key and feature", async () => {
    start();
    const [vg] = await clientFor(sim).client.list("virtual_groups", {}, budget());
    expect(vg!.entitlements.map((e) => [e.emsEntitlementId, e.emsProductKeyId, e.featureName, e.totalQuantity])).toEqual([
      ["EMS-ENT-4101-0001", "PK-4101-01", "NVIDIA RTX Virtual Workstation", 40],
      ["EMS-ENT-4101-0001", "PK-4101-02", "NVIDIA Virtual PC", 200],
      ["EMS-ENT-4101-0001", "PK-4101-03", "NVIDIA AI Enterprise", 16],
    ]);
  });
});

describe("paging", () => {
  test("walks every page of a group with more servers than a page holds", async () => {
    start({ scenario: generateOrg({ virtualGroups: 1, serversPerGroup: 230, featuresPerServer: 1, leasesPerFeature: 0, seed: 3 }) });
    const vgId = sim.expected().virtualGroups[0]!.vgId;
    const servers = await clientFor(sim).client.list("license_servers", { vgId: String(vgId) }, budget());
    expect(servers).toHaveLength(230);
    expect(new Set(servers.map((s) => s.id)).size).toBe(230);
    expect(sim.stats().requests.map((r) => r.query["page-number"])).toEqual(["1", "2", "3"]);
  });

  test("walks pages of virtual groups too", async () => {
    start({ scenario: generateOrg({ virtualGroups: 120, serversPerGroup: 1, featuresPerServer: 1, leasesPerFeature: 0, seed: 4 }) });
    expect(await clientFor(sim).client.list("virtual_groups", {}, budget())).toHaveLength(120);
    expect(sim.stats().total).toBe(2);
  });
});

describe("compressed leases", () => {
  test("decode to the same leases as the plain body", async () => {
    start();
    const plain = await clientFor(sim).client.list(
      "leases",
      { vgId: "4102", instanceId: "1fe612d2-1d70-5091-a995-a64e4f28cbac" },
      budget(),
    );
    await sim.stop();
    start({ compressedLeases: true });
    const compressed = await clientFor(sim).client.list(
      "leases",
      { vgId: "4102", instanceId: "1fe612d2-1d70-5091-a995-a64e4f28cbac" },
      budget(),
    );
    expect(compressed).toEqual(plain);
    expect(plain.length).toBeGreaterThan(0);
  });

  test("a corrupt body is a decode error naming leases", async () => {
    start({ compressedLeases: true });
    sim.setFaults([{ endpoint: "leases", corruptCompressed: true }]);
    const err = await clientFor(sim)
      .client.list("leases", { vgId: "4102", instanceId: "1fe612d2-1d70-5091-a995-a64e4f28cbac" }, budget())
      .catch((e) => e);
    expect(err).toBeInstanceOf(ClsError);
    expect(err).toMatchObject({ kind: "decode", endpoint: "leases" });
    expect(err.message).toContain("compressedClients");
  });
});

describe("tolerance", () => {
  test("unknown fields are ignored and missing optional fields do not fail; a field of the wrong type is read as absent and counted", async () => {
    start();
    sim.setFaults([
      {
        endpoint: "license_servers",
        body: {
          licenseServers: [
            { id: "s1", extra: { deep: [1] } },
            { id: 42, name: 7 },
            { id: "s3", licenseServerFeatures: "nope" },
          ],
          newTopLevel: true,
        },
      },
    ]);
    const { client, invalid } = clientFor(sim);
    const servers = await client.list("license_servers", { vgId: "4101" }, budget());
    expect(servers).toEqual([
      {
        id: "s1",
        name: undefined,
        status: undefined,
        deployedOn: undefined,
        leasingMode: undefined,
        serviceInstanceId: undefined,
        features: [],
      },
      { id: "42", name: "7", status: undefined, deployedOn: undefined, leasingMode: undefined, serviceInstanceId: undefined, features: [] },
      {
        id: "s3",
        name: undefined,
        status: undefined,
        deployedOn: undefined,
        leasingMode: undefined,
        serviceInstanceId: undefined,
        features: [],
      },
    ]);
    expect([...invalid]).toEqual([["license_servers", 1]]);
  });

  test("items without an id are skipped and counted", async () => {
    start();
    sim.setFaults([
      {
        endpoint: "license_pools",
        body: {
          licensePools: [{ name: "no id" }, { id: "p1", licensePoolFeatures: [{ inUse: 1 }, { licenseServerFeatureId: "f", inUse: "3" }] }],
        },
      },
    ]);
    const { client, invalid } = clientFor(sim);
    const pools = await client.list("license_pools", { vgId: "4101", serverId: "ee1f75a7-4ce5-589b-a846-44b96a1fc5dd" }, budget());
    expect(pools).toEqual([
      { id: "p1", name: undefined, features: [{ licenseServerFeatureId: "f", totalAllotment: undefined, inUse: 3 }] },
    ]);
    expect(invalid.get("license_pools")).toBe(2);
  });

  test("a body of the wrong shape is a decode error, not a crash", async () => {
    start();
    sim.setFaults([{ endpoint: "virtual_groups", body: { virtualGroups: "x" } }]);
    const err = await clientFor(sim)
      .client.list("virtual_groups", {}, budget())
      .catch((e) => e);
    expect(err).toMatchObject({ kind: "decode", endpoint: "virtual_groups" });
  });
});

describe("paging on the server's terms and duplicate ids", () => {
  /** A stand-in CLS that pages license pools 10 at a time on its own and insists on that size. */
  function pagedPools(total: number) {
    const pools = Array.from({ length: total }, (_, i) => ({ id: `p${i + 1}`, name: `pool ${i + 1}`, licensePoolFeatures: [] }));
    return Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(req) {
        const q = new URL(req.url).searchParams;
        const page = Number(q.get("page-number") ?? 1);
        if (q.has("page-size") && q.get("page-size") !== "10") return new Response("bad page-size", { status: 400 });
        return Response.json({
          licensePools: pools.slice((page - 1) * 10, page * 10),
          paginationInfo: { pageNumber: page, pageSize: 10, totalPages: Math.ceil(total / 10) },
        });
      },
    });
  }

  test("pools that turn out to be paged are read to the end with the server's page size", async () => {
    const server = pagedPools(25);
    try {
      const fake = { url: `http://127.0.0.1:${server.port}`, orgName: "o" } as Simulator;
      const pools = await clientFor(fake).client.list("license_pools", { vgId: "1", serverId: "s" }, budget());
      expect(pools.map((p) => p.id)).toEqual(Array.from({ length: 25 }, (_, i) => `p${i + 1}`));
    } finally {
      server.stop(true);
    }
  });

  test("an id listed twice counts once", async () => {
    start();
    const vg = (id: number) => ({ id, name: `vg${id}`, entitlements: [] });
    sim.setFaults([{ endpoint: "virtual_groups", body: { virtualGroups: [vg(1), vg(1), vg(2)], paginationInfo: { totalPages: 1 } } }]);
    expect((await clientFor(sim).client.list("virtual_groups", {}, budget())).map((g) => g.id)).toEqual(["1", "2"]);
  });

  test("a page that repeats the previous one ends the walk", async () => {
    start();
    sim.setFaults([{ endpoint: "license_servers", body: { licenseServers: [{ id: "a" }, { id: "b" }] } }]);
    const servers = await clientFor(sim).client.list("license_servers", { vgId: "4101" }, budget());
    expect(servers.map((s) => s.id)).toEqual(["a", "b"]);
    expect(sim.stats().total).toBe(2);
  });
});
