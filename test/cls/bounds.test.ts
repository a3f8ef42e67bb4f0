/**
 * Bounded reads: an answer past CLS_MAX_RESPONSE_BYTES, a gzip bomb, a compressedClients bomb and a
 * huge error page are refused without being read (or inflated) past their bound, and never retried.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { ERROR_BODY_BYTES, readBounded, readHead } from "../../src/cls/body.ts";
import { DEFAULT_CLS_LIMITS } from "../../src/cls/limits.ts";
import { ClsError } from "../../src/errors.ts";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import { budget, clientFor, KEY } from "./harness.ts";

let sim: Simulator;
afterEach(() => sim?.stop());

const LIMITS = { ...DEFAULT_CLS_LIMITS, maxResponseBytes: 64 * 1_024, maxInflatedBytes: 64 * 1_024 };
const LEASES = { vgId: "4101", instanceId: "ae65bb2a-e7e2-5f70-bb4c-b4d3e3bd12ac" } as never;
const start = () => (sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: KEY }));

/** A body of `n` bytes made as read, counting what was pulled from it. */
function counted(n: number) {
  const state = { pulled: 0 };
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (state.pulled >= n) return c.close();
      const chunk = new Uint8Array(Math.min(1_024, n - state.pulled)).fill(0x20);
      state.pulled += chunk.byteLength;
      c.enqueue(chunk);
    },
  });
  return { stream, state };
}

describe("readBounded / readHead", () => {
  test("a body at the bound is read whole; one byte more is refused and the rest is not read", async () => {
    expect(await readBounded(new Response("x".repeat(2_000)), 2_000)).toMatchObject({ ok: true });
    const big = counted(1_000_000);
    expect(await readBounded(new Response(big.stream), 10_000)).toMatchObject({ ok: false, reason: "stream" });
    expect(big.state.pulled).toBeLessThan(20_000);
  });

  test("a Content-Length past the bound is refused before any byte is read", async () => {
    const big = counted(1_000_000);
    const res = new Response(big.stream, { headers: { "content-length": String(2 ** 40) } });
    expect(await readBounded(res, 10_000)).toEqual({ ok: false, reason: "content-length", bytes: 2 ** 40 });
    expect(big.state.pulled).toBeLessThanOrEqual(1_024);
  });

  test("an error body: its head only, and whether there was more", async () => {
    const big = counted(1_000_000);
    const head = await readHead(new Response(big.stream));
    expect(head).toEqual({ text: " ".repeat(ERROR_BODY_BYTES), truncated: true });
    expect(big.state.pulled).toBeLessThan(10_000);
    expect(await readHead(new Response("short"))).toEqual({ text: "short", truncated: false });
  });
});

describe("too_large: refused, not retried", () => {
  const cases = [
    ["a JSON answer past CLS_MAX_RESPONSE_BYTES", { hugeBody: 200_000 }, /CLS_MAX_RESPONSE_BYTES \(65536 bytes\)/],
    ["a Content-Encoding: gzip bomb", { gzipBomb: 50_000_000 }, /CLS_MAX_RESPONSE_BYTES \(65536 bytes\)/],
    ["a compressedClients bomb", { compressedBomb: 5_000_000 }, /inflates to more than 65536 bytes \(CLS_MAX_INFLATED_BYTES\)/],
  ] as const;
  test.each(cases)("%s", async (_name, fault, says) => {
    start();
    const endpoint = "compressedBomb" in fault ? "leases" : "virtual_groups";
    sim.setFaults([{ endpoint, ...fault }]);
    const { client, attempts } = clientFor(sim, { limits: LIMITS });
    const args = endpoint === "leases" ? LEASES : {};
    const err = (await client.list(endpoint, args as never, budget()).catch((e) => e)) as ClsError;
    expect(err).toBeInstanceOf(ClsError);
    expect(err.kind).toBe("too_large");
    expect(err.message).toMatch(says);
    expect(attempts).toHaveLength(1);
  });

  test("an answer just under the bounds is read as usual (a padded answer, a small compressed list)", async () => {
    start();
    sim.setFaults([
      { endpoint: "virtual_groups", hugeBody: 60_000 },
      { endpoint: "leases", compressedBomb: 60_000 },
    ]);
    const { client } = clientFor(sim, { limits: LIMITS });
    expect((await client.list("virtual_groups", {}, budget())).length).toBeGreaterThan(0);
    expect(await client.list("leases", LEASES, budget())).toEqual([]);
  });

  test("a huge HTML 500: a few KB read per attempt, retried as any 5xx, the excerpt cut to 200 characters", async () => {
    start();
    sim.setFaults([{ endpoint: "virtual_groups", hugeErrorBody: 100_000_000 }]);
    const { client, attempts } = clientFor(sim, { limits: LIMITS, maxAttempts: 2 });
    const err = (await client.list("virtual_groups", {}, budget()).catch((e) => e)) as ClsError;
    expect([err.kind, err.status]).toEqual(["http", 500]);
    expect(err.message).toContain("HTTP 500: <html><body><pre>xxx");
    expect(err.message.length).toBeLessThan(300);
    expect(attempts).toEqual(["virtual_groups:500", "virtual_groups:500"]);
  });

  test("a corrupt compressed list stays a decode error", async () => {
    start();
    sim.setFaults([{ endpoint: "leases", corruptCompressed: true }]);
    const { client } = clientFor(sim, { limits: LIMITS });
    const err = (await client.list("leases", LEASES, budget()).catch((e) => e)) as ClsError;
    expect(err.kind).toBe("decode");
  });
});
