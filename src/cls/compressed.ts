import { ClsError } from "../errors.ts";
import { type ByteBudget, OverBudget } from "./budget.ts";
import type { EndpointName } from "./endpoints.ts";
import { gunzipChunks } from "./gunzip.ts";
import type { Envelope } from "./schemas.ts";

/** How a compressed list is inflated: its bound, and the byte budget shared with the reads in flight. */
export interface InflateBounds {
  maxInflatedBytes: number;
  bytes?: ByteBudget;
  /** The refresh's signal: a wait for the budget ends with it. */
  signal?: AbortSignal;
}

/**
 * A list CLS sends gzip-compressed and base64-encoded (compressedClients), inflated with a bound on
 * its output: a few MB of base64 can inflate to GBs. node:zlib's gunzip runs on the thread pool (the
 * event loop stays free: bench/bombs.ts), fed piece by piece (src/cls/gunzip.ts); each output chunk is
 * counted against the bound and taken from the shared byte budget before the next is made, and
 * everything is given back once the list is parsed or refused.
 */
export async function decodeCompressed(endpoint: EndpointName, e: Envelope, b64: string, bounds: InflateBounds): Promise<unknown[]> {
  const claim = bounds.bytes?.open();
  try {
    const json = await inflate(endpoint, e, Buffer.from(b64, "base64"), bounds, claim?.take);
    try {
      const list = (JSON.parse(json) as Record<string, unknown> | null)?.[e.list];
      if (!Array.isArray(list)) throw new Error(`no ${e.list} array inside`);
      return list;
    } catch (err) {
      throw new ClsError("decode", endpoint, `corrupt ${e.compressed} (${(err as Error).message})`);
    }
  } catch (err) {
    claim?.release();
    if (err instanceof ClsError && err.kind === "too_large") bounds.bytes?.refused();
    throw err;
  } finally {
    claim?.release();
  }
}

type Take = (n: number, signal?: AbortSignal) => Promise<void>;

async function* once(b: Uint8Array): AsyncGenerator<Uint8Array> {
  yield b;
}

async function inflate(endpoint: EndpointName, e: Envelope, gz: Buffer, bounds: InflateBounds, take: Take | undefined): Promise<string> {
  const max = bounds.maxInflatedBytes;
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    for await (const chunk of gunzipChunks(once(gz))) {
      total += chunk.byteLength;
      if (total > max) throw tooLarge(endpoint, `${e.compressed} inflates to more than ${max} bytes (CLS_MAX_INFLATED_BYTES)`, gz);
      await take?.(chunk.byteLength, bounds.signal);
      parts.push(chunk);
    }
  } catch (err) {
    parts.length = 0;
    if (err instanceof ClsError) throw err;
    if (err instanceof OverBudget) {
      throw tooLarge(endpoint, `${e.compressed} refused after ${total} bytes inflated: ${err.message} (the shared read budget)`, gz);
    }
    if (bounds.signal?.aborted) throw err;
    throw new ClsError("decode", endpoint, `corrupt ${e.compressed} (${(err as Error).message})`);
  }
  return new TextDecoder().decode(Buffer.concat(parts, total));
}

function tooLarge(endpoint: EndpointName, what: string, gz: Buffer): ClsError {
  return new ClsError("too_large", endpoint, `${what}; ${gz.byteLength} bytes compressed`);
}
