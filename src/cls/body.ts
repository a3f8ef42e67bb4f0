/**
 * Reading a CLS answer's body without trusting its size. The body is read as a stream and counted;
 * past the bound the stream is cancelled and nothing more is read or kept. A `Content-Encoding: gzip`
 * body is inflated here (src/cls/gunzip.ts: CLS calls are fetched with `decompress: false`), so the
 * count is of inflated bytes and a gzip bomb is never inflated past the bound (bench/bombs.ts).
 * `Response.text()`/`arrayBuffer()` would read the whole body at once: they are never used here.
 */

import { type ByteClaim, OverBudget } from "./budget.ts";
import { gunzipChunks, isGzip } from "./gunzip.ts";

/** Bytes of a non-2xx body kept for the error message: enough for any JSON error or the head of an HTML page. */
export const ERROR_BODY_BYTES = 4_096;

export type BodyRead = { ok: true; bytes: Uint8Array } | { ok: false; reason: "content-length" | "stream" | "budget"; bytes: number };

/**
 * The whole body when it has at most `max` bytes; else how far it got (the rest unread, the stream
 * cancelled). With a claim, each chunk is taken from the shared byte budget before the next is read
 * (a take that waits is backpressure); `budget` when the budget refused it. The caller releases the claim.
 */
export async function readBounded(res: Response, max: number, claim?: ByteClaim, signal?: AbortSignal): Promise<BodyRead> {
  // Content-Length counts the bytes on the wire (compressed or not): past the bound, nothing is read.
  const declared = Number(res.headers.get("content-length") ?? Number.NaN);
  if (declared > max) {
    await cancel(res);
    return { ok: false, reason: "content-length", bytes: declared };
  }
  const reader = res.body?.getReader();
  if (!reader) return { ok: true, bytes: new Uint8Array(0) };
  const source = chunksOf(res, reader);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for await (const value of source) {
      total += value.byteLength;
      const refused = total > max ? "stream" : await taken(claim, value.byteLength, signal);
      if (refused) {
        // Dropped before the cancel is awaited, so a collection meanwhile can free them.
        chunks.length = 0;
        await reader.cancel().catch(() => {});
        return { ok: false, reason: refused, bytes: total };
      }
      chunks.push(value);
    }
  } catch (err) {
    chunks.length = 0;
    await reader.cancel().catch(() => {});
    throw isZlibError(err) ? new BadEncoding((err as Error).message) : err;
  } finally {
    reader.releaseLock();
  }
  return { ok: true, bytes: concat(chunks, total) };
}

/** The first `max` bytes of the body as text (the rest cancelled, never read); `truncated` when there was more. */
export async function readHead(res: Response, max = ERROR_BODY_BYTES): Promise<{ text: string; truncated: boolean }> {
  const reader = res.body?.getReader();
  if (!reader) return { text: "", truncated: false };
  const source = chunksOf(res, reader);
  const chunks: Uint8Array[] = [];
  let total = 0;
  let truncated = false;
  try {
    while (total < max) {
      const { value, done } = await source.next();
      if (done) break;
      const room = max - total;
      if (value.byteLength > room) truncated = true;
      const kept = value.byteLength > room ? value.subarray(0, room) : value;
      chunks.push(kept);
      total += kept.byteLength;
    }
    if (total >= max && !truncated) truncated = !(await source.next()).done;
    await source.return(undefined);
    await reader.cancel().catch(() => {});
  } catch {
    // A body that breaks off mid-way: what arrived is still the best excerpt.
  } finally {
    reader.releaseLock();
  }
  // Not fatal: a multi-byte character cut by the bound becomes U+FFFD.
  return { text: new TextDecoder().decode(concat(chunks, total)), truncated };
}

/** A gzip body that does not inflate. */
export class BadEncoding extends Error {
  override name = "BadEncoding";
}

const isZlibError = (err: unknown): boolean =>
  typeof (err as { code?: unknown })?.code === "string" && /^Z_/.test((err as { code: string }).code);

type ChunkReader = { read(): Promise<{ done: true; value?: undefined } | { done: false; value: Uint8Array }> };

/** The body's chunks as sent, or inflated when it is gzip-encoded. */
function chunksOf(res: Response, reader: ChunkReader): AsyncGenerator<Uint8Array> {
  const raw = rawChunks(reader);
  return isGzip(res.headers.get("content-encoding")) ? gunzipChunks(raw) : raw;
}

async function* rawChunks(reader: ChunkReader): AsyncGenerator<Uint8Array> {
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    yield value;
  }
}

/** undefined once `n` bytes are taken (or with no claim); "budget" when the budget refused them. Rethrows an abort. */
async function taken(claim: ByteClaim | undefined, n: number, signal: AbortSignal | undefined): Promise<"budget" | undefined> {
  try {
    await claim?.take(n, signal);
    return undefined;
  } catch (err) {
    if (err instanceof OverBudget) return "budget";
    throw err;
  }
}

async function cancel(res: Response): Promise<void> {
  await res.body?.cancel().catch(() => {});
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
