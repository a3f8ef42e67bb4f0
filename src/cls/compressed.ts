import { ClsError } from "../errors.ts";
import { type ByteBudget, type ByteClaim, OverBudget } from "./budget.ts";
import type { EndpointName } from "./endpoints.ts";
import { gunzipUpTo } from "./gunzip.ts";
import type { Envelope } from "./schemas.ts";

/** How a compressed list is inflated: its bound, and the byte budget shared with the reads in flight. */
export interface InflateBounds {
  maxInflatedBytes: number;
  bytes?: ByteBudget;
  /** The refresh's signal: a wait for the budget ends with it. */
  signal?: AbortSignal;
  /**
   * The claim that already holds the answer this list came in (src/cls/pages.ts readPage): the
   * inflate takes from it too, so the answer and its inflated list count together, and it is given
   * back here once the list is refused (the caller gives it back otherwise). A claim of its own when absent.
   */
  claim?: ByteClaim;
}

/** Base64 characters decoded per piece fed to the inflater (a multiple of 4: each piece decodes alone). */
const B64_PIECE_CHARS = 64 * 1_024;

/**
 * A list CLS sends gzip-compressed and base64-encoded (compressedClients), inflated with a bound on
 * its output: a few MB of base64 can inflate to GBs. node:zlib's gunzip runs on the thread pool (the
 * event loop stays free: bench/bombs.ts), fed piece by piece (src/cls/gunzip.ts); each output chunk is
 * counted against the bound and taken from the shared byte budget before the next is made, and
 * everything is given back once the list is parsed or refused. The base64 is decoded piece by piece
 * as the inflater asks (base64Pieces), never into one whole copy.
 */
export async function decodeCompressed(endpoint: EndpointName, e: Envelope, b64: string, bounds: InflateBounds): Promise<unknown[]> {
  const own = bounds.claim === undefined;
  const claim = bounds.claim ?? bounds.bytes?.open();
  try {
    const json = await inflate(endpoint, e, b64, bounds, claim?.take);
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
    if (own) claim?.release();
  }
}

type Take = (n: number, signal?: AbortSignal) => Promise<void>;

/**
 * The bytes of a base64 string, B64_PIECE_CHARS characters at a time. Characters outside the
 * alphabet (line breaks of wrapped base64) would shift the pieces, so such a string is cleaned first.
 */
export async function* base64Pieces(b64: string): AsyncGenerator<Uint8Array> {
  const clean = /[^A-Za-z0-9+/_=-]/.test(b64) ? b64.replace(/[^A-Za-z0-9+/_-]/g, "") : b64;
  for (let at = 0; at < clean.length; at += B64_PIECE_CHARS) yield Buffer.from(clean.slice(at, at + B64_PIECE_CHARS), "base64");
}

async function inflate(endpoint: EndpointName, e: Envelope, b64: string, bounds: InflateBounds, take: Take | undefined): Promise<string> {
  const max = bounds.maxInflatedBytes;
  /** Bytes inflated so far, the refused chunk included (for the message when the budget refuses). */
  let total = 0;
  let inflated: Uint8Array | "over";
  try {
    inflated = await gunzipUpTo(base64Pieces(b64), max, (n) => {
      total += n;
      return take?.(n, bounds.signal);
    });
  } catch (err) {
    if (err instanceof OverBudget) {
      throw tooLarge(endpoint, `${e.compressed} refused after ${total} bytes inflated: ${err.message} (the shared read budget)`, b64);
    }
    if (bounds.signal?.aborted) throw err;
    throw new ClsError("decode", endpoint, `corrupt ${e.compressed} (${(err as Error).message})`);
  }
  if (inflated === "over") throw tooLarge(endpoint, `${e.compressed} inflates to more than ${max} bytes (CLS_MAX_INFLATED_BYTES)`, b64);
  return new TextDecoder().decode(inflated);
}

function tooLarge(endpoint: EndpointName, what: string, b64: string): ClsError {
  return new ClsError("too_large", endpoint, `${what}; ${b64.length} base64 characters compressed`);
}
