/**
 * Oversize answers for the fault rules that ask for them (gzipBomb, compressedBomb, hugeBody,
 * hugeErrorBody). Bodies are made as the client reads them, never held whole,
 * so a test or a benchmark can ask for GBs without the simulator holding them.
 */
import { createGzip, gzipSync } from "node:zlib";
import type { FaultRule } from "./faults.ts";

const CHUNK = 64 * 1_024;

export function isOversize(rule: FaultRule): boolean {
  return (
    rule.gzipBomb !== undefined || rule.compressedBomb !== undefined || rule.hugeBody !== undefined || rule.hugeErrorBody !== undefined
  );
}

/** The answer `rule` asks for, around the real one (`status`, `body`) where it keeps it. */
export async function oversizeReply(rule: FaultRule, status: number, body: unknown): Promise<Response> {
  const json = { "content-type": "application/json" };
  if (rule.hugeErrorBody !== undefined) {
    const text = streamed("<html><body><pre>", rule.hugeErrorBody, "</pre></body></html>", "x");
    return new Response(text, { status: rule.status ?? 500, headers: { "content-type": "text/html" } });
  }
  if (rule.gzipBomb !== undefined)
    return new Response(gzipMembers(rule.gzipBomb), { status: 200, headers: { ...json, "content-encoding": "gzip" } });
  if (rule.compressedBomb !== undefined) return Response.json({ compressedClients: await compressedBomb(rule.compressedBomb) });
  // hugeBody: the only one left.
  return new Response(streamed("{", rule.hugeBody ?? 0, JSON.stringify(body).slice(1), " "), { status, headers: json });
}

/**
 * A gzip body inflating to at least `total` bytes of `{"bomb":"   …   "}`, as concatenated gzip
 * members (a valid gzip stream): the JSON head, one member of 1 MiB of spaces compressed once and
 * sent again and again, the tail. The simulator compresses ~1 MiB once, not the whole bomb, so it
 * stays cheap beside the exporter it is measured against (bench/bombs.ts probes /healthz from the
 * simulator's process).
 */
function gzipMembers(total: number): ReadableStream<Uint8Array> {
  const [head, tail] = [gzipSync('{"bomb":"'), gzipSync('"}')];
  const block = gzipSync(Buffer.alloc(2 ** 20, 32), { level: 9 });
  let left = Math.ceil(total / 2 ** 20);
  let started = false;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (!started) {
        started = true;
        c.enqueue(head);
      } else if (left > 0) {
        left--;
        c.enqueue(block);
      } else {
        c.enqueue(tail);
        c.close();
      }
    },
  });
}

/**
 * `head`, then `fill` repeated, then `tail`: `total` bytes in all (at least head and tail), made on
 * each pull of the reader, so a client that stops reading stops the making.
 */
export function streamed(head: string, total: number, tail: string, fill: string): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  const [h, t] = [enc.encode(head), enc.encode(tail)];
  const block = enc.encode(fill.repeat(CHUNK / fill.length));
  let left = Math.max(0, total - h.byteLength - t.byteLength);
  let started = false;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (!started) {
        started = true;
        c.enqueue(h);
        return;
      }
      if (left === 0) {
        c.enqueue(t);
        c.close();
        return;
      }
      const n = Math.min(left, block.byteLength);
      left -= n;
      c.enqueue(n === block.byteLength ? block : block.subarray(0, n));
    },
  });
}

/** Base64 of a gzip stream that inflates to `inflated` bytes of valid JSON: `{"clients":[ … ]}` padded with spaces. */
export async function compressedBomb(inflated: number): Promise<string> {
  const gzip = createGzip({ level: 9 });
  const parts: Buffer[] = [];
  gzip.on("data", (b: Buffer) => parts.push(b));
  const done = new Promise<void>((resolve, reject) => {
    gzip.once("end", resolve);
    gzip.once("error", reject);
  });
  const reader = streamed('{"clients":[', inflated, "]}", " ").getReader();
  for (;;) {
    const { value, done: end } = await reader.read();
    if (end) break;
    // Back-pressure: wait for the compressor to drain before making more.
    if (!gzip.write(value)) await new Promise((r) => gzip.once("drain", r));
  }
  gzip.end();
  await done;
  return Buffer.concat(parts).toString("base64");
}
