import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { decodeCompressed, loadScenario } from "../../src/sim/fixtures.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import { API_KEY, call, checkInvariants, getJson, modelView } from "./helpers.ts";

const DIR = fileURLToPath(new URL("../../src/sim/scenarios/lic-example/", import.meta.url));
const index = JSON.parse(readFileSync(`${DIR}index.json`, "utf8")) as {
  routes: { path: string; file: string; query?: Record<string, string>; headers?: Record<string, string> }[];
};
const fixture = (file: string): any => JSON.parse(readFileSync(DIR + file, "utf8"));
const isCompressed = (file: string) => "compressedClients" in fixture(file);

let plain: Simulator;
let compressed: Simulator;

beforeAll(() => {
  plain = startSimulator({ scenario: loadScenario("lic-example"), apiKey: API_KEY });
  compressed = startSimulator({ scenario: loadScenario("lic-example"), apiKey: API_KEY, compressedLeases: true });
});
afterAll(async () => {
  await plain.stop();
  await compressed.stop();
});

describe("lic-example fixture parity", () => {
  test("index.json lists every route kind", () => {
    expect(index.routes.length).toBe(15);
  });

  for (const route of index.routes.filter((r) => !isCompressed(r.file))) {
    const label = `${route.path.replace("/v1/org/lic-example", "")} ${JSON.stringify(route.query ?? {})} ${route.headers?.["x-nv-service-instance-id"] ?? ""}`;
    test(`serves ${label}`, async () => {
      // The full listing fixture carries entitlements, i.e. what detailedView=true returns.
      const detailed: Record<string, string> = route.path.endsWith("/virtual-groups") ? { detailedView: "true" } : {};
      const res = await call(plain, route.path, { query: { ...detailed, ...route.query }, headers: route.headers ?? {} });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("application/json");
      expect(await res.json()).toEqual(fixture(route.file));
    });
  }

  for (const route of index.routes.filter((r) => isCompressed(r.file))) {
    test(`compressed mode serves the alternative body of ${route.path}`, async () => {
      const body = await getJson(compressed, route.path, { headers: route.headers ?? {} });
      expect(Object.keys(body)).toEqual(["compressedClients"]);
      const served = decodeCompressed(body.compressedClients);
      expect(served).toEqual(decodeCompressed(fixture(route.file).compressedClients));
      expect(served.length).toBe(3);
    });
  }

  test("compressed mode also applies to the instances without a compressed fixture", async () => {
    const body = await getJson(compressed, "/v1/org/lic-example/virtual-groups/4101/leases/all", {
      headers: { "x-nv-service-instance-id": "ae65bb2a-e7e2-5f70-bb4c-b4d3e3bd12ac" },
    });
    expect(decodeCompressed(body.compressedClients).length).toBe(5);
  });

  test("loaded model satisfies the index.json invariants", () => {
    const model = loadScenario("lic-example");
    expect(checkInvariants(modelView(model), model)).toEqual([]);
    expect(model.assignments.size).toBe(10);
  });

  test("the invariant checker notices a broken pool count", () => {
    const model = loadScenario("lic-example");
    model.poolsByServer.get("ee1f75a7-4ce5-589b-a846-44b96a1fc5dd")![0]!.licensePoolFeatures[0]!.inUse = 7;
    expect(checkInvariants(modelView(model), model).join()).toContain("inUse 7 != 2");
  });

  test("loadScenario returns independent models", () => {
    const a = loadScenario("lic-example");
    const b = loadScenario("lic-example");
    a.virtualGroups[0]!.name = "changed";
    expect(b.virtualGroups[0]!.name).toBe("Default VG");
  });
});
