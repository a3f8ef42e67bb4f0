import { constants, deflateRawSync } from "node:zlib";

/**
 * The large, per-snapshot start of a body kept compressed, so that a gzip body with any tail is a
 * copy plus a few hundred bytes of compression rather than a recompression of megabytes, and the
 * plain start need not stay in memory. The deflate stream is left open (sync flush) so a tail can
 * follow; the CRC and length let the gzip trailer cover start and tail as one member (RFC 1952).
 */
export interface DeflatedPrefix {
  /** Raw deflate, sync-flushed: not final, byte-aligned. */
  deflated: Uint8Array;
  crc32: number;
  length: number;
}

/** gzip header: deflate, no name or time, OS unix (what Bun.gzipSync writes). */
const GZIP_HEADER = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];

export function deflatePrefix(plain: Uint8Array): DeflatedPrefix {
  return { deflated: deflateRawSync(plain, { finishFlush: constants.Z_SYNC_FLUSH }), crc32: Bun.hash.crc32(plain), length: plain.length };
}

/** One gzip member holding the prefix followed by `tail`; decompresses with any gzip reader. */
export function gzipWithTail(prefix: DeflatedPrefix, tail: Uint8Array): Uint8Array<ArrayBuffer> {
  const end = deflateRawSync(tail);
  const out = new Uint8Array(GZIP_HEADER.length + prefix.deflated.length + end.length + 8);
  out.set(GZIP_HEADER);
  out.set(prefix.deflated, GZIP_HEADER.length);
  out.set(end, GZIP_HEADER.length + prefix.deflated.length);
  const trailer = new DataView(out.buffer, out.length - 8);
  trailer.setUint32(0, Number(Bun.hash.crc32(tail, prefix.crc32)) >>> 0, true);
  // ISIZE: the uncompressed length modulo 2^32.
  trailer.setUint32(4, (prefix.length + tail.length) >>> 0, true);
  return out;
}
