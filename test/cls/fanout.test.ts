/**
 * fetchOrg's walk of the endpoint table against an in-memory client (no HTTP): which calls, in
 * which order, under which keys, and what a failed part leaves behind.
 */
import { describe, expect, test } from "bun:test";
import type { ClsClient } from "../../src/cls/client.ts";
import { ORG_KEY } from "../../src/cls/endpoints.ts";
import { fetchOrg, type OrgData } from "../../src/cls/org.ts";
import { ClsError } from "../../src/errors.ts";

const group = (id: string) => ({ id, name: `vg ${id}`, entitlements: [] });
const server = (id: string, serviceInstanceId?: string) => ({
  id,
  name: undefined,
  status: undefined,
  deployedOn: undefined,
  leasingMode: undefined,
  serviceInstanceId,
  features: [],
});

/** Two groups: one with three servers on two service instances (one naming none), one with one server. */
const ORG: Record<string, unknown[]> = {
  "virtual_groups {}": [group("1"), group("2")],
  'license_servers {"vgId":"1"}': [server("a", "i1"), server("b"), server("c", "i1")],
  'license_servers {"vgId":"2"}': [server("d", "i2")],
};

/** Answers from ORG (an empty list for anything else) and records each call; `fail` names calls that throw. */
function fakeClient(fail: (call: string) => ClsError | undefined = () => undefined) {
  const calls: string[] = [];
  const client = {
    async list(endpoint: string, args: unknown) {
      const call = `${endpoint} ${JSON.stringify(args)}`;
      calls.push(call);
      const err = fail(call);
      if (err) throw err;
      return ORG[call] ?? [];
    },
  } as ClsClient;
  return { client, calls };
}

const opts = { parallelism: 1, timeoutMs: 10_000, now: () => 0 };
const keys = (data: OrgData) => Object.fromEntries(Object.entries(data).map(([name, parts]) => [name, [...parts.keys()]]));

describe("fetchOrg walks the table", () => {
  test("parents before children, each part's children queued together as it arrives, one call per row key", async () => {
    const { client, calls } = fakeClient();
    const { data, failures, succeeded } = await fetchOrg(client, undefined, opts);
    expect(calls).toEqual([
      "virtual_groups {}",
      'license_servers {"vgId":"1"}',
      'license_servers {"vgId":"2"}',
      'license_pools {"vgId":"1","serverId":"a"}',
      'license_pools {"vgId":"1","serverId":"b"}',
      'license_pools {"vgId":"1","serverId":"c"}',
      'leases {"vgId":"1","instanceId":"i1"}',
      'leases {"vgId":"1"}',
      'license_pools {"vgId":"2","serverId":"d"}',
      'leases {"vgId":"2","instanceId":"i2"}',
    ]);
    expect([failures, succeeded]).toEqual([[], 10]);
    expect(keys(data)).toEqual({
      virtual_groups: [ORG_KEY],
      license_servers: ["1", "2"],
      license_pools: ["1/a", "1/b", "1/c", "2/d"],
      leases: ["1/i1", "1/", "2/i2"],
    });
  });

  test("a failed part keeps its previous value, and its children are called from it", async () => {
    const first = await fetchOrg(fakeClient().client, undefined, opts);
    const { client, calls } = fakeClient((call) =>
      call === 'license_servers {"vgId":"1"}' ? new ClsError("http", "license_servers", "x", 503) : undefined,
    );
    const { data, failures } = await fetchOrg(client, first.data, opts);
    expect(failures).toEqual([{ endpoint: "license_servers", reason: "5xx", status: 503, message: expect.any(String), stale: true }]);
    expect(data.license_servers.get("1")).toBe(first.data.license_servers.get("1")!);
    expect(calls.filter((c) => c.includes('"vgId":"1"'))).toHaveLength(1 + 3 + 2);
    expect(keys(data)).toEqual(keys(first.data));
  });

  test("a failed part with no previous value is absent, and so is everything below it", async () => {
    const { client, calls } = fakeClient((call) =>
      call === 'license_servers {"vgId":"2"}' ? new ClsError("http", "license_servers", "x", 404) : undefined,
    );
    const { data, failures } = await fetchOrg(client, undefined, opts);
    expect(failures.map((f) => [f.endpoint, f.reason, f.stale])).toEqual([["license_servers", "404", false]]);
    expect(calls.filter((c) => c.includes('"vgId":"2"'))).toHaveLength(1);
    expect(keys(data).license_pools).toEqual(["1/a", "1/b", "1/c"]);
  });

  test.each([
    ["an org-wide failure (401) ends the refresh with the previous data", 401, 1],
    ["any other failure (500) walks on from the previous group list", 500, 10],
  ])("org-level call: %s", async (_, status, callCount) => {
    const first = await fetchOrg(fakeClient().client, undefined, opts);
    const { client, calls } = fakeClient((call) =>
      call === "virtual_groups {}" ? new ClsError("http", "virtual_groups", "x", status) : undefined,
    );
    const { data, succeeded } = await fetchOrg(client, first.data, opts);
    expect(calls).toHaveLength(callCount);
    expect(succeeded).toBe(callCount - 1);
    if (status === 401) expect(data).toBe(first.data);
    else expect(keys(data)).toEqual(keys(first.data));
  });
});
