import { describe, expect, test } from "bun:test";
import { createClient } from "../../src/cls/client.ts";
import type { GetRequest } from "../../src/cls/http.ts";
import { DEFAULT_CLS_LIMITS } from "../../src/cls/limits.ts";
import { ClsError } from "../../src/errors.ts";
import { budget } from "./harness.ts";

/** A stand-in CLS answering each page from `page(n, size)`, and the page numbers asked for. */
function fake(page: (n: number, size: number) => Record<string, unknown>) {
  const asked: number[] = [];
  const get = async (req: GetRequest) => {
    const n = Number(req.query?.["page-number"] ?? 1);
    asked.push(n);
    return page(n, Number(req.query?.["page-size"] ?? 100));
  };
  return { get, asked };
}

const client = (get: (req: GetRequest) => Promise<unknown>, limits: { maxItems?: number; maxPages?: number } = {}) =>
  createClient(get, { orgName: "o", serviceInstanceId: undefined, invalid: new Map(), limits: { ...DEFAULT_CLS_LIMITS, ...limits } });

const groups = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ id: `g${from + i}` }));
const pools = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `pool ${i}` }));
const leaseArgs = { vgId: "1", instanceId: "i" };

/** The error a list call fails with. */
const failure = (p: Promise<unknown>) => p.then(() => undefined).catch((e: unknown) => e);

describe("large lists", () => {
  test("a single page of 700,000 items is appended without overflowing the stack", async () => {
    const { get } = fake((n) => ({ virtualGroups: n === 1 ? groups(0, 700_000) : [] }));
    const list = await client(get, { maxItems: 1_000_000 }).list("virtual_groups", {}, budget());
    expect(list).toHaveLength(700_000);
    expect(list.at(-1)!.id).toBe("g699999");
  });

  test("past CLS_MAX_ITEMS over several pages: too_large naming the setting, and no further page is read", async () => {
    const { get, asked } = fake((n) => ({ virtualGroups: groups(n * 100, 100) }));
    const err = await failure(client(get, { maxItems: 250 }).list("virtual_groups", {}, budget()));
    expect(err).toBeInstanceOf(ClsError);
    expect(err).toMatchObject({ kind: "too_large", reason: "too_large", endpoint: "virtual_groups" });
    expect((err as Error).message).toContain("more than 250 items (CLS_MAX_ITEMS)");
    expect(asked).toEqual([1, 2, 3]);
  });

  test("a lease list counts the clients' leases too, before any is parsed", async () => {
    const client10 = { leases: Array.from({ length: 10 }, (_, i) => ({ leaseId: `l${i}` })) };
    const { get } = fake(() => ({ clients: [client10, client10] }));
    // 2 clients + 20 leases = 22 items.
    expect(await client(get, { maxItems: 22 }).list("leases", leaseArgs, budget())).toHaveLength(20);
    const err = await failure(client(get, { maxItems: 21 }).list("leases", leaseArgs, budget()));
    expect(err).toMatchObject({ kind: "too_large", endpoint: "leases" });
    expect((err as Error).message).toContain("nested items included");
  });

  test("a page longer than the page-size asked is kept when it fits and counted in full", async () => {
    const { get, asked } = fake((n) => (n === 1 ? { virtualGroups: groups(0, 150) } : { virtualGroups: [] }));
    expect(await client(get, { maxItems: 300 }).list("virtual_groups", {}, budget())).toHaveLength(150);
    expect(asked).toEqual([1, 2]);
    const refused = fake(() => ({ virtualGroups: groups(0, 150) }));
    expect(await failure(client(refused.get, { maxItems: 120 }).list("virtual_groups", {}, budget()))).toMatchObject({
      kind: "too_large",
    });
    expect(refused.asked).toEqual([1]);
  });
});

describe("page bounds", () => {
  test("full pages that never end stop at CLS_MAX_PAGES with too_large, not a truncated list", async () => {
    const { get, asked } = fake((n) => ({ virtualGroups: groups(n * 100, 100) }));
    const err = await failure(client(get, { maxPages: 5 }).list("virtual_groups", {}, budget()));
    expect(err).toMatchObject({ kind: "too_large", endpoint: "virtual_groups" });
    expect((err as Error).message).toContain("more than 5 pages (CLS_MAX_PAGES)");
    expect(asked).toEqual([1, 2, 3, 4, 5]);
  });

  test("totals that always say one more page fail once they announce more than CLS_MAX_PAGES", async () => {
    const { get, asked } = fake((n) => ({ virtualGroups: groups(n * 10, 10), paginationInfo: { totalPages: n + 1 } }));
    const err = await failure(client(get, { maxPages: 5 }).list("virtual_groups", {}, budget()));
    expect((err as Error).message).toContain("CLS announces 6 pages, more than 5 (CLS_MAX_PAGES)");
    expect(asked).toEqual([1, 2, 3, 4, 5]);
  });

  test("a list of exactly CLS_MAX_PAGES pages is whole", async () => {
    const { get } = fake((n) => ({ virtualGroups: groups(n * 10, 10), paginationInfo: { totalPages: 5 } }));
    expect(await client(get, { maxPages: 5 }).list("virtual_groups", {}, budget())).toHaveLength(50);
  });

  test("totals beyond a bound fail at once, before another page is read", async () => {
    for (const [info, text] of [
      [{ totalPages: 1_000_000 }, "CLS announces 1000000 pages, more than 5 (CLS_MAX_PAGES)"],
      [{ totalElements: 700, pageSize: 100 }, "CLS announces 7 pages, more than 5 (CLS_MAX_PAGES)"],
      [{ totalElements: 1_000_000 }, "CLS announces 1000000 items, more than 1000 (CLS_MAX_ITEMS)"],
    ] as const) {
      const { get, asked } = fake((n) => ({ virtualGroups: groups(n * 100, 100), paginationInfo: info }));
      const err = await failure(client(get, { maxPages: 5, maxItems: 1_000 }).list("virtual_groups", {}, budget()));
      expect(err).toMatchObject({ kind: "too_large" });
      expect((err as Error).message).toContain(text);
      expect(asked).toEqual([1]);
    }
  });

  test("the page cap follows totalElements ÷ pageSize: pages shorter than announced fail instead of walking on", async () => {
    const { get, asked } = fake((n) => ({ virtualGroups: groups(n * 10, 5), paginationInfo: { totalElements: 30, pageSize: 10 } }));
    const err = await failure(client(get).list("virtual_groups", {}, budget()));
    expect((err as Error).message).toContain("more pages than the 3 paginationInfo announces");
    expect(asked).toEqual([1, 2, 3]);
  });

  test("totalElements counts what arrived, duplicates included: no extra call for a list with a repeated item", async () => {
    const { get, asked } = fake(() => ({ virtualGroups: [{ id: "a" }, { id: "a" }, { id: "b" }], paginationInfo: { totalElements: 3 } }));
    expect((await client(get).list("virtual_groups", {}, budget())).map((g) => g.id)).toEqual(["a", "b"]);
    expect(asked).toEqual([1]);
  });
});

describe("repeated pages", () => {
  test("items without ids: a page equal to the one before ends the walk when only a full page asked for it", async () => {
    // license_pools are not documented as paged: a full page of 2 with pageSize 2 asks for page 2.
    const { get, asked } = fake(() => ({ licensePools: pools(2).map((p, i) => ({ ...p, id: `p${i}` })) }));
    expect(await client(get).list("license_pools", { vgId: "1", serverId: "s" }, budget())).toHaveLength(2);
    expect(asked).toEqual([1]);
    const bare = fake(() => ({ virtualGroups: pools(100) }));
    // Items without ids are invalid virtual groups, but the walk is what is measured: two calls, not CLS_MAX_PAGES.
    expect(await client(bare.get).list("virtual_groups", {}, budget())).toEqual([]);
    expect(bare.asked).toEqual([1, 2]);
  });

  test("items without ids: a repeat of a page the totals announced fails (decode), it is not served short", async () => {
    const client1 = { leases: [{ leaseId: "l1" }] };
    const { get, asked } = fake((n) => ({ clients: [client1], paginationInfo: { pageNumber: n, totalPages: n + 1 } }));
    const err = await failure(client(get).list("leases", leaseArgs, budget()));
    expect(err).toMatchObject({ kind: "decode", endpoint: "leases" });
    expect((err as Error).message).toContain("page 2 repeats page 1 although paginationInfo announces more");
    expect(asked).toEqual([1, 2]);
  });

  test("items with ids: a page of no new ids ends the walk, or fails when the totals announced it", async () => {
    const bare = fake(() => ({ virtualGroups: groups(0, 100) }));
    expect(await client(bare.get).list("virtual_groups", {}, budget())).toHaveLength(100);
    expect(bare.asked).toEqual([1, 2]);
    const announced = fake((n) => ({ virtualGroups: groups(0, 100), paginationInfo: { totalPages: n + 1 } }));
    expect(await failure(client(announced.get).list("virtual_groups", {}, budget()))).toMatchObject({ kind: "decode" });
    expect(announced.asked).toEqual([1, 2]);
  });
});
