/**
 * The byte budget shared by the CLS reads in flight: takes that fit are granted, others wait until
 * bytes are given back, a deadlock (every holder waiting) refuses the largest holder, and an abort
 * while waiting takes and gives back nothing.
 */
import { describe, expect, test } from "bun:test";
import { readBounded } from "../../src/cls/body.ts";
import { byteBudgetFor, createByteBudget, OverBudget } from "../../src/cls/budget.ts";
import { base64Pieces, decodeCompressed } from "../../src/cls/compressed.ts";
import { ENDPOINTS } from "../../src/cls/endpoints.ts";
import { createHttp, DEFAULT_HTTP_OPTIONS } from "../../src/cls/http.ts";
import { ClsError } from "../../src/errors.ts";
import { budget, KEY } from "./harness.ts";

/** Whether `p` has settled after the pending microtasks ran. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  await Bun.sleep(0);
  return done;
}

describe("ByteBudget", () => {
  test("takes that fit are granted at once; the capacity is the larger bound", async () => {
    expect(byteBudgetFor({ maxResponseBytes: 10, maxInflatedBytes: 30 })).toBe(30);
    const bytes = createByteBudget(100);
    const a = bytes.open();
    const b = bytes.open();
    await a.take(60);
    await b.take(40);
    expect([a.held(), b.held(), bytes.used()]).toEqual([60, 40, 100]);
  });

  test("a take that does not fit waits until another read gives back, then is granted", async () => {
    const bytes = createByteBudget(100);
    const a = bytes.open();
    const b = bytes.open();
    await a.take(80);
    const waiting = b.take(30);
    expect(await settled(waiting)).toBe(false);
    expect(bytes.used()).toBe(80);
    a.release();
    await waiting;
    expect([a.held(), b.held(), bytes.used()]).toEqual([0, 30, 30]);
    b.release();
    b.release();
    expect(bytes.used()).toBe(0);
  });

  test("a holder that is not waiting (still reading) keeps the others waiting: no deadlock yet", async () => {
    const bytes = createByteBudget(100);
    const [a, b] = [bytes.open(), bytes.open()];
    await a.take(70);
    await b.take(20);
    const bWaits = b.take(20);
    expect(await settled(bWaits)).toBe(false);
    expect([a.held(), b.held()]).toEqual([70, 20]);
    await a.take(5);
    expect(await settled(bWaits)).toBe(false);
    a.release();
    await bWaits;
    expect(bytes.used()).toBe(40);
  });

  test("when every holder waits, the largest is refused and its bytes given back; the others go on", async () => {
    const bytes = createByteBudget(100);
    const [a, b, c] = [bytes.open(), bytes.open(), bytes.open()];
    await a.take(50);
    await b.take(30);
    await c.take(20);
    const bWaits = b.take(10);
    const cWaits = c.take(10);
    expect(await settled(bWaits)).toBe(false);
    const aRefused = a.take(10).catch((e) => e);
    expect(await aRefused).toBeInstanceOf(OverBudget);
    expect(((await aRefused) as OverBudget).wanted).toBe(60);
    await Promise.all([bWaits, cWaits]);
    expect([a.held(), b.held(), c.held(), bytes.used()]).toEqual([0, 40, 30, 70]);
    a.release();
    expect(bytes.used()).toBe(70);
  });

  test("a take larger than the capacity alone is refused at once", async () => {
    const bytes = createByteBudget(100);
    const a = bytes.open();
    await a.take(90);
    expect(await a.take(11).catch((e) => e)).toBeInstanceOf(OverBudget);
    expect(bytes.used()).toBe(90);
  });

  test("an abort while waiting takes nothing, and the release after it gives back only what was held", async () => {
    const bytes = createByteBudget(100);
    const [a, b, c] = [bytes.open(), bytes.open(), bytes.open()];
    await a.take(70);
    await b.take(10);
    const abort = new AbortController();
    const bWaits = b.take(40, abort.signal).catch((e) => e);
    abort.abort(new Error("deadline"));
    expect(((await bWaits) as Error).message).toBe("deadline");
    expect([b.held(), bytes.used()]).toEqual([10, 80]);
    b.release();
    b.release();
    expect(bytes.used()).toBe(70);
    // The aborted waiter was removed: a later release grants the next one, not it.
    const cWaits = c.take(40);
    a.release();
    await cWaits;
    expect([a.held(), b.held(), c.held(), bytes.used()]).toEqual([0, 0, 40, 40]);
  });

  test("an already aborted signal is refused without waiting", async () => {
    const bytes = createByteBudget(10);
    const a = bytes.open();
    expect(await a.take(5, AbortSignal.abort(new Error("gone"))).catch((e) => (e as Error).message)).toBe("gone");
    expect(bytes.used()).toBe(0);
  });
});

describe("readBounded against the budget", () => {
  /** A body of `n` bytes in 1 KiB chunks made as read, counting what was pulled. */
  function counted(n: number) {
    const state = { pulled: 0 };
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (state.pulled >= n) return c.close();
        state.pulled += 1_024;
        c.enqueue(new Uint8Array(1_024).fill(0x20));
      },
    });
    return { res: new Response(stream), state };
  }

  test("a read that waits stops pulling its body; refused as the largest holder of a deadlock, it gives back", async () => {
    const bytes = createByteBudget(10_240);
    const other = bytes.open();
    await other.take(1_024);
    const body = counted(1_000_000);
    const claim = bytes.open();
    const read = readBounded(body.res, 1_000_000, claim);
    while (bytes.used() < 10_240) await Bun.sleep(1);
    expect(await settled(read)).toBe(false);
    // Pulled: what it holds, the chunk it waits to take, and what the stream queued ahead of the reader.
    expect(body.state.pulled).toBeLessThanOrEqual(12 * 1_024);
    const otherWaits = other.take(4_096);
    expect(await read).toEqual({ ok: false, reason: "budget", bytes: 10 * 1_024 });
    await otherWaits;
    expect([claim.held(), bytes.used()]).toEqual([0, 5_120]);
  });
});

describe("compressedClients inflate against the budget", () => {
  const envelope = ENDPOINTS.leases.envelope;
  const packed = (n: number) =>
    Buffer.from(Bun.gzipSync(new TextEncoder().encode(`{"clients":[${' "x",'.repeat(n)}"y"]}`))).toString("base64");

  test("its output is taken from the budget and given back once parsed", async () => {
    const bytes = createByteBudget(1_000_000);
    const other = bytes.open();
    await other.take(10);
    const list = await decodeCompressed("leases", envelope, packed(1_000), { maxInflatedBytes: 1_000_000, bytes });
    expect(list).toHaveLength(1_001);
    expect(bytes.used()).toBe(10);
  });

  test("an inflate that waits on a holder that waits too is refused as too_large when it is the largest", async () => {
    const bytes = createByteBudget(200_000);
    const reader = bytes.open();
    await reader.take(50_000);
    const inflating = decodeCompressed("leases", envelope, packed(100_000), { maxInflatedBytes: 1_000_000, bytes }).catch((e) => e);
    // The inflate takes the rest (64 KiB chunks) and waits; the reader now waits as well: deadlock, the inflate is the largest.
    while (bytes.used() <= 200_000 - 64 * 1_024) await Bun.sleep(1);
    const readerWaits = reader.take(60_000);
    const err = (await inflating) as ClsError;
    expect(err).toBeInstanceOf(ClsError);
    expect(err.kind).toBe("too_large");
    expect(err.message).toMatch(/shared read budget/);
    await readerWaits;
    expect(bytes.used()).toBe(110_000);
  });
});

describe("an answer's claim held until its compressed list is inflated", () => {
  const envelope = ENDPOINTS.leases.envelope;
  const packed = (n: number) =>
    Buffer.from(Bun.gzipSync(new TextEncoder().encode(`{"clients":[${' "x",'.repeat(n)}"y"]}`))).toString("base64");
  const answer = (compressedClients: string) => JSON.stringify({ compressedClients });
  const httpWith = (bytes: ReturnType<typeof createByteBudget>, body: string) =>
    createHttp(
      { ...DEFAULT_HTTP_OPTIONS, baseUrl: "http://127.0.0.1:1", apiKey: () => KEY, userAgent: "t", requestTimeoutMs: 1_000, bytes },
      { fetch: async () => new Response(body), sleep: Bun.sleep, random: () => 0, now: Date.now },
    );

  test("get() with the caller's claim keeps the body held after the parse, until the caller releases", async () => {
    const bytes = createByteBudget(1_000_000);
    const body = answer(packed(10));
    const claim = bytes.open();
    await httpWith(bytes, body)({ endpoint: "leases", path: "/x", budget: budget(), claim });
    expect([claim.held(), bytes.used()]).toEqual([body.length, body.length]);
    claim.release();
    expect(bytes.used()).toBe(0);
    // Without a claim of the caller's, nothing stays held.
    await httpWith(bytes, body)({ endpoint: "leases", path: "/x", budget: budget() });
    expect(bytes.used()).toBe(0);
  });

  test("the inflate takes from that claim: answer and inflated list together are refused past the budget", async () => {
    const list = packed(20_000);
    const inflated = Bun.gunzipSync(Buffer.from(list, "base64")).byteLength;
    const bytes = createByteBudget(inflated + 1_000);
    // Alone it fits; on top of an answer of 2,000 bytes it does not.
    expect(await decodeCompressed("leases", envelope, list, { maxInflatedBytes: inflated, bytes })).toHaveLength(20_001);
    const claim = bytes.open();
    await claim.take(2_000);
    const err = await decodeCompressed("leases", envelope, list, { maxInflatedBytes: inflated, bytes, claim }).catch((e) => e);
    expect(err).toBeInstanceOf(ClsError);
    expect((err as ClsError).kind).toBe("too_large");
    expect([claim.held(), bytes.used()]).toEqual([0, 0]);
  });

  test("a list that inflates is parsed and the claim is left to its owner", async () => {
    const bytes = createByteBudget(1_000_000);
    const claim = bytes.open();
    await claim.take(500);
    expect(await decodeCompressed("leases", envelope, packed(100), { maxInflatedBytes: 1_000_000, bytes, claim })).toHaveLength(101);
    expect(claim.held()).toBeGreaterThan(500);
    claim.release();
    expect(bytes.used()).toBe(0);
  });
});

describe("base64Pieces", () => {
  const bytesOf = async (b64: string) => Buffer.concat(await Array.fromAsync(base64Pieces(b64)));

  test("decodes piece by piece to what a whole decode gives, padding included", async () => {
    for (const n of [0, 1, 2, 3, 49_151, 49_152, 200_001]) {
      const raw = Buffer.from(Array.from({ length: n }, (_, i) => (i * 7919) % 256));
      expect((await bytesOf(raw.toString("base64"))).equals(raw)).toBe(true);
    }
  });

  test("base64 wrapped in lines decodes the same", async () => {
    const raw = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 31) % 256));
    const wrapped = raw.toString("base64").replace(/(.{76})/g, "$1\r\n");
    expect((await bytesOf(wrapped)).equals(raw)).toBe(true);
  });
});
