import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { generateOrg } from "../../src/sim/generate.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import { API_KEY, call, getJson, orgPath } from "./helpers.ts";

let lic: Simulator;
let big: Simulator;
const HQ = "ae65bb2a-e7e2-5f70-bb4c-b4d3e3bd12ac";

beforeAll(() => {
  lic = startSimulator({ scenario: loadScenario("lic-example"), apiKey: API_KEY });
  big = startSimulator({
    scenario: generateOrg({ orgName: "big", virtualGroups: 5, serversPerGroup: 3, featuresPerServer: 2, leasesPerFeature: 2, seed: 3 }),
    apiKey: API_KEY,
  });
});
afterAll(async () => {
  await lic.stop();
  await big.stop();
});

describe("paging", () => {
  for (const size of [1, 2, 25]) {
    test(`virtual groups at page-size ${size} add up to the whole list`, async () => {
      const ids: number[] = [];
      const totalPages = Math.ceil(5 / size);
      for (let page = 1; page <= totalPages; page++) {
        const body = await getJson(big, orgPath(big), { query: { "page-number": String(page), "page-size": String(size) } });
        expect(body.paginationInfo).toEqual({ pageNumber: page, pageSize: size, totalPages, totalElements: 5 });
        expect(body.virtualGroups.length).toBe(Math.min(size, 5 - (page - 1) * size));
        ids.push(...body.virtualGroups.map((v: { id: number }) => v.id));
      }
      expect(ids).toEqual(big.model.virtualGroups.map((v) => v.id));
    });

    test(`license servers at page-size ${size} add up to the group's servers`, async () => {
      const vg = big.model.virtualGroups[2]!.id;
      const first = await getJson(big, orgPath(big, `/${vg}/license-servers`), { query: { "page-size": String(size) } });
      expect(first.paginationInfo.totalPages).toBe(Math.ceil(3 / size));
      const ids: string[] = [];
      for (let page = 1; page <= first.paginationInfo.totalPages; page++) {
        const body = await getJson(big, orgPath(big, `/${vg}/license-servers`), {
          query: { "page-number": String(page), "page-size": String(size) },
        });
        ids.push(...body.licenseServers.map((s: { id: string }) => s.id));
      }
      expect(ids).toEqual(big.model.serversByVg.get(vg)!.map((s) => s.id));
    });
  }

  test("defaults to page 1 of 25, caps page-size at 100, serves empty pages past the end", async () => {
    expect((await getJson(big, orgPath(big))).paginationInfo).toEqual({ pageNumber: 1, pageSize: 25, totalPages: 1, totalElements: 5 });
    expect((await getJson(big, orgPath(big), { query: { "page-size": "500" } })).paginationInfo.pageSize).toBe(100);
    const past = await getJson(big, orgPath(big), { query: { "page-number": "3", "page-size": "4" } });
    expect(past.virtualGroups).toEqual([]);
    expect(past.paginationInfo.totalPages).toBe(2);
  });

  test("rejects page numbers and sizes that are not positive integers", async () => {
    const cases: Record<string, string>[] = [{ "page-number": "0" }, { "page-size": "0" }, { "page-number": "abc" }, { "page-size": "-1" }];
    for (const query of cases) {
      const res = await call(big, orgPath(big), { query });
      expect(res.status).toBe(400);
      expect(await res.text()).toContain(Object.keys(query)[0]!);
    }
  });
});

describe("virtual groups", () => {
  test("entitlements only with detailedView=true", async () => {
    const plain = await getJson(lic, orgPath(lic));
    expect(plain.virtualGroups.length).toBe(2);
    for (const vg of plain.virtualGroups) expect("entitlements" in vg).toBe(false);
    expect(plain.virtualGroups[0].orgDescription).toBe("Example Corp (synthetic test organisation)");
    const falseView = await getJson(lic, orgPath(lic), { query: { detailedView: "false" } });
    expect("entitlements" in falseView.virtualGroups[0]).toBe(false);
    const detailed = await getJson(lic, orgPath(lic), { query: { detailedView: "true" } });
    // Its RTX key, the AI Enterprise key, and the key that renews the RTX one.
    expect(detailed.virtualGroups[1].entitlements[0].entitlementProductKeys.length).toBe(3);
    // Serving a view must not strip the model itself.
    expect(lic.model.virtualGroups[0]!.entitlements).toBeDefined();
  });

  test("only-default=true returns just the first group", async () => {
    const body = await getJson(lic, orgPath(lic), { query: { "only-default": "true" } });
    expect(body.virtualGroups.map((v: { id: number }) => v.id)).toEqual([4101]);
    expect(body.paginationInfo.totalElements).toBe(1);
    const notOnly = await getJson(lic, orgPath(lic), { query: { "only-default": "false" } });
    expect(notOnly.virtualGroups.length).toBe(2);
  });

  test("single group route, and 404 for unknown or non-numeric ids", async () => {
    expect((await getJson(lic, orgPath(lic, "/4102"))).virtualGroup.name).toBe("VFX-Studio");
    expect((await call(lic, orgPath(lic, "/9999"))).status).toBe(404);
    expect((await call(lic, orgPath(lic, "/abc"))).status).toBe(404);
  });
});

describe("auth, errors and headers", () => {
  test("401 without or with a wrong x-api-key, JSON content type", async () => {
    for (const key of [null, "wrong", ""]) {
      const res = await call(lic, orgPath(lic), { key });
      expect(res.status).toBe(401);
      expect(res.headers.get("content-type")).toBe("application/json");
      await res.json();
    }
  });

  test("404 for another org, unknown paths, unknown or foreign servers", async () => {
    expect((await call(lic, "/v1/org/other-org/virtual-groups")).status).toBe(404);
    expect((await call(lic, "/v1/org/lic-example/nothing")).status).toBe(404);
    expect((await call(lic, orgPath(lic, "/4101/license-servers/nope/license-pools"))).status).toBe(404);
    // cls-vfx belongs to 4102, not 4101
    expect((await call(lic, orgPath(lic, "/4101/license-servers/39d0765a-b520-5016-9b0e-21877b0cde94/license-pools"))).status).toBe(404);
  });

  test("405 for non-GET methods on CLS routes", async () => {
    expect((await call(lic, orgPath(lic), { method: "POST" })).status).toBe(405);
  });

  test("leases: 400 without instance header, empty for unknown instance, /leases alias", async () => {
    const missing = await call(lic, orgPath(lic, "/4101/leases/all"));
    expect(missing.status).toBe(400);
    expect(await missing.text()).toContain("x-nv-service-instance-id");
    const unknown = await getJson(lic, orgPath(lic, "/4101/leases/all"), { headers: { "x-nv-service-instance-id": "nobody" } });
    expect(unknown).toEqual({ clients: [] });
    const headers = { "x-nv-service-instance-id": HQ };
    const all = await getJson(lic, orgPath(lic, "/4101/leases/all"), { headers });
    expect(all.clients.length).toBe(5);
    expect(await getJson(lic, orgPath(lic, "/4101/leases"), { headers })).toEqual(all);
    // The right instance in the wrong group reports nothing.
    expect(await getJson(lic, orgPath(lic, "/4102/leases/all"), { headers })).toEqual({ clients: [] });
  });

  test("unknown fields added to the model are served unchanged", async () => {
    const sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: API_KEY });
    try {
      sim.model.serversByVg.get(4102)![0]!.futureField = { nested: [1, 2] };
      sim.model.clientsByVg.get(4102)![0]!.wire.leases[0]!.expiry = "2027-01-01T00:00:00Z";
      const servers = await getJson(sim, orgPath(sim, "/4102/license-servers"));
      expect(servers.licenseServers[0].futureField).toEqual({ nested: [1, 2] });
      const leases = await getJson(sim, orgPath(sim, "/4102/leases/all"), {
        headers: { "x-nv-service-instance-id": "1fe612d2-1d70-5091-a995-a64e4f28cbac" },
      });
      expect(leases.clients[0].leases[0].expiry).toBe("2027-01-01T00:00:00Z");
    } finally {
      await sim.stop();
    }
  });
});
