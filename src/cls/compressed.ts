import { gunzip } from "node:zlib";
import { ClsError } from "../errors.ts";
import type { EndpointName } from "./endpoints.ts";
import type { Envelope } from "./schemas.ts";

/**
 * A list CLS sends gzip-compressed and base64-encoded (compressedClients), inflated with a bound on
 * its output: a few MB of base64 can inflate to GBs. node:zlib's asynchronous gunzip runs on the thread
 * pool (on Bun 1.4.5 the event loop stays free: bench/bombs.ts) and stops at `maxOutputLength`
 * without allocating past it, so /healthz and /metrics keep answering while a large list inflates.
 */
export async function decodeCompressed(endpoint: EndpointName, e: Envelope, b64: string, maxInflatedBytes: number): Promise<unknown[]> {
  const json = await inflate(endpoint, e, Buffer.from(b64, "base64"), maxInflatedBytes);
  try {
    const list = (JSON.parse(json) as Record<string, unknown> | null)?.[e.list];
    if (!Array.isArray(list)) throw new Error(`no ${e.list} array inside`);
    return list;
  } catch (err) {
    throw new ClsError("decode", endpoint, `corrupt ${e.compressed} (${(err as Error).message})`);
  }
}

async function inflate(endpoint: EndpointName, e: Envelope, gz: Buffer, max: number): Promise<string> {
  try {
    const out = await new Promise<Buffer>((resolve, reject) =>
      gunzip(gz, { maxOutputLength: max }, (err, buf) => (err ? reject(err) : resolve(buf))),
    );
    return new TextDecoder().decode(out);
  } catch (err) {
    if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") {
      throw new ClsError(
        "too_large",
        endpoint,
        `${e.compressed} inflates to more than ${max} bytes (CLS_MAX_INFLATED_BYTES); ${gz.byteLength} bytes compressed`,
      );
    }
    throw new ClsError("decode", endpoint, `corrupt ${e.compressed} (${(err as Error).message})`);
  }
}
