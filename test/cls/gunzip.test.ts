/** gzip answers are inflated by the exporter (fetch runs with decompress: false), counted as inflated. */
import { describe, expect, test } from "bun:test";
import { BadEncoding, readBounded, readHead } from "../../src/cls/body.ts";

const gz = (text: string) => new Response(Bun.gzipSync(new TextEncoder().encode(text)), { headers: { "content-encoding": "gzip" } });

describe("gzip bodies", () => {
  test("an answer is inflated and its inflated bytes are what the bound counts", async () => {
    const text = JSON.stringify({ clients: Array.from({ length: 2_000 }, (_, i) => ({ id: i })) });
    const read = await readBounded(gz(text), text.length);
    expect(read.ok && new TextDecoder().decode(read.bytes)).toBe(text);
    expect(await readBounded(gz(text), text.length - 1)).toMatchObject({ ok: false, reason: "stream" });
  });

  test("an error page's head is inflated too", async () => {
    expect(await readHead(gz("<html>busy</html>"))).toEqual({ text: "<html>busy</html>", truncated: false });
  });

  test("a body that does not inflate is a BadEncoding", async () => {
    const res = new Response("not gzip at all", { headers: { "content-encoding": "gzip" } });
    expect(await readBounded(res, 1_000).catch((e) => e)).toBeInstanceOf(BadEncoding);
  });
});

describe("gzip inflated piece by piece", () => {
  test("a long body leaves no listener behind per piece (no MaxListenersExceededWarning)", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    try {
      // Incompressible: ~64 KiB compressed, 64 pieces of 1 KiB through one stream.
      const raw = crypto.getRandomValues(new Uint8Array(65_536));
      const res = new Response(Bun.gzipSync(raw), { headers: { "content-encoding": "gzip" } });
      const read = await readBounded(res, 100_000);
      expect(read.ok && Buffer.from(read.bytes).equals(Buffer.from(raw))).toBe(true);
      await Bun.sleep(10);
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings).not.toContain("MaxListenersExceededWarning");
  });
});
