/**
 * What CLS may send that is too big to believe: strings past CLS_MAX_STRING_LENGTH and quantities
 * out of [0, MAX_QUANTITY]. Against a scripted HttpGet (no HTTP), with a small string limit.
 */
import { describe, expect, test } from "bun:test";
import { createClient, type InvalidCounts, type InvalidReasons } from "../../src/cls/client.ts";
import type { GetRequest } from "../../src/cls/http.ts";
import { DEFAULT_CLS_LIMITS } from "../../src/cls/limits.ts";
import { MAX_QUANTITY, TRUNCATION_MARKER, truncate } from "../../src/cls/schemas.ts";

const budget = { signal: new AbortController().signal, deadline: Number.POSITIVE_INFINITY };
const MAX = 16;

/** A client with strings limited to MAX characters whose every GET is answered by `answer`. */
function scripted(answer: (req: GetRequest) => unknown) {
  const invalid: InvalidCounts = new Map();
  const invalidReasons: InvalidReasons = new Map();
  const client = createClient(async (req) => answer(req), {
    orgName: "o",
    serviceInstanceId: undefined,
    invalid,
    invalidReasons,
    limits: { ...DEFAULT_CLS_LIMITS, maxStringLength: MAX },
  });
  const reasons = (endpoint: string) => Object.fromEntries(invalidReasons.get(endpoint as "leases") ?? []);
  return { client, invalid, reasons };
}

const long = (n: number, c = "x") => c.repeat(n);

describe("truncate", () => {
  test("keeps a string within the limit, cuts a longer one to exactly the limit ending with the marker", () => {
    expect(truncate("abc", 3)).toBe("abc");
    expect(truncate("abcdef", 4)).toBe(`abc${TRUNCATION_MARKER}`);
    expect(truncate("abcdef", 4)).toHaveLength(4);
  });

  test("never splits a surrogate pair", () => {
    const cut = truncate(`ab${"😀".repeat(5)}`, 4);
    expect(cut).toBe(`ab${TRUNCATION_MARKER}`);
    expect(encodeURIComponent(cut)).toBeString(); // throws on a lone surrogate
  });
});

describe("long strings", () => {
  test("a name past the limit is cut with a marker; its item is kept and counted as too long", async () => {
    const { client, invalid, reasons } = scripted(() => ({
      virtualGroups: [
        { id: "1", name: long(10_000) },
        { id: "2", name: long(MAX) },
      ],
    }));
    const groups = await client.list("virtual_groups", {}, budget);
    expect(groups.map((g) => g.name)).toEqual([`${long(MAX - 1)}${TRUNCATION_MARKER}`, long(MAX)]);
    expect([...invalid]).toEqual([["virtual_groups", 1]]);
    expect(reasons("virtual_groups")).toEqual({ too_long: 1 });
  });

  test("an id past the limit drops its item (a cut id could equal another); a nested one only its own item", async () => {
    const { client, invalid, reasons } = scripted(() => ({
      licenseServers: [
        { id: `${long(MAX)}a`, name: "dropped" },
        { id: "s", licenseServerFeatures: [{ id: long(MAX + 1) }, { id: "f", featureName: long(MAX + 5, "n") }] },
      ],
    }));
    const servers = await client.list("license_servers", { vgId: "4" }, budget);
    expect(servers.map((s) => s.id)).toEqual(["s"]);
    expect(servers[0]!.features.map((f) => [f.id, f.featureName])).toEqual([["f", `${long(MAX - 1, "n")}${TRUNCATION_MARKER}`]]);
    expect([...invalid]).toEqual([["license_servers", 3]]);
    expect(reasons("license_servers")).toEqual({ too_long: 3 });
  });

  test("an over-long optional id (service instance, feature id of a lease) drops its item too", async () => {
    const { client, invalid } = scripted((req) =>
      req.endpoint === "license_servers"
        ? {
            licenseServers: [
              { id: "s", serviceInstanceId: long(MAX + 1) },
              { id: "t", serviceInstanceId: "si" },
            ],
          }
        : {
            clients: [
              {
                leases: [
                  { leaseId: "L1", licenseAllotmentFeatureId: long(MAX + 1) },
                  { leaseId: "L2", licenseAllotmentFeatureId: "f" },
                ],
              },
            ],
          },
    );
    expect((await client.list("license_servers", { vgId: "4" }, budget)).map((s) => [s.id, s.serviceInstanceId])).toEqual([["t", "si"]]);
    expect((await client.list("leases", { vgId: "4", instanceId: "si" }, budget)).map((l) => l.leaseId)).toEqual(["L2"]);
    expect([...invalid]).toEqual([
      ["license_servers", 1],
      ["leases", 1],
    ]);
  });

  test("an optional id of the wrong type is read as absent, as before", async () => {
    const { client, reasons } = scripted(() => ({ licenseServers: [{ id: "s", serviceInstanceId: { x: 1 } }] }));
    expect((await client.list("license_servers", { vgId: "4" }, budget)).map((s) => s.serviceInstanceId)).toEqual([undefined]);
    expect(reasons("license_servers")).toEqual({ wrong_type: 1 });
  });
});

describe("absurd numbers", () => {
  const counts = [
    ["400 digits as a number", Number(`1${"0".repeat(399)}`)],
    ["400 digits as a string", `1${"0".repeat(399)}`],
    ["negative", -3],
    ["a negative string", "-3"],
    ["above the bound", MAX_QUANTITY + 1],
    ["1e308", 1e308],
  ] as const;
  for (const [what, value] of counts)
    test(`a quantity ${what} is out of range: read as absent (the lease kept), counted`, async () => {
      const { client, invalid, reasons } = scripted(() => ({ clients: [{ leases: [{ leaseId: "L", leaseCount: value }] }] }));
      const leases = await client.list("leases", { vgId: "4", instanceId: "i" }, budget);
      expect(leases.map((l) => [l.leaseId, l.leaseCount])).toEqual([["L", undefined]]);
      expect([...invalid]).toEqual([["leases", 1]]);
      expect(reasons("leases")).toEqual({ out_of_range: 1 });
    });

  test("0, the bound itself and numeric strings within it are read as they are", async () => {
    const { client, invalid } = scripted(() => ({
      licenseServers: [
        {
          id: "s",
          licenseServerFeatures: [
            { id: "a", totalQuantity: 0 },
            { id: "b", totalQuantity: MAX_QUANTITY },
            { id: "c", totalQuantity: "12.5" },
          ],
        },
      ],
    }));
    const [server] = await client.list("license_servers", { vgId: "4" }, budget);
    expect(server!.features.map((f) => f.totalQuantity)).toEqual([0, MAX_QUANTITY, 12.5]);
    expect([...invalid]).toEqual([]);
  });

  test("a quantity that is no number stays a wrong type, not out of range", async () => {
    const { client, reasons } = scripted(() => ({
      clients: [{ leases: [{ leaseId: "L", leaseCount: "many" }, { featureName: "no id" }] }],
    }));
    await client.list("leases", { vgId: "4", instanceId: "i" }, budget);
    expect(reasons("leases")).toEqual({ wrong_type: 1, no_id: 1 });
  });
});
