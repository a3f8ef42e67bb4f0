import { createGunzip } from "node:zlib";

/**
 * A gzip body inflated by the exporter, not by fetch. Bun 1.4.5's fetch inflates a
 * `Content-Encoding: gzip` answer ahead of the reader, by whole socket reads: 8 gzip bombs read at
 * once drove the process ~270 MiB above idle even with only 4 MiB of their output held (and a full
 * collection after each), against ~22 MiB reading the same bodies raw (bench/bombs.ts, BENCHMARKS.md
 * (h)). So CLS calls are fetched with `decompress: false` and inflated here, the compressed input fed
 * PIECE_BYTES at a time and the next piece only after the reader took the output of the last: gzip
 * inflates at most ~1,032:1, so one stream never holds more than ~1 MiB of output its reader has not
 * asked for.
 */
const PIECE_BYTES = 1_024;

/** The Content-Encodings the exporter inflates (and so asks for); identity is always accepted. */
export const ACCEPTED_ENCODING = "gzip";

export const isGzip = (encoding: string | null): boolean => /^\s*(x-)?gzip\s*$/i.test(encoding ?? "");

/** The inflated chunks of a gzip byte stream, as the reader pulls them; a corrupt stream throws. */
export async function* gunzipChunks(raw: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const gunzip = createGunzip();
  const out: Uint8Array[] = [];
  const failed: { err?: Error } = {};
  gunzip.on("data", (b: Uint8Array) => out.push(b));
  gunzip.on("error", (err) => {
    failed.err = err;
  });
  // Each piece's error listener is removed once the piece is taken: left on, a 4 MiB bomb piled up
  // 4,096 listeners per stream (a MaxListenersExceededWarning on stderr for every bomb).
  const fed = (piece: Uint8Array | undefined) =>
    new Promise<void>((resolve) => {
      const done = () => {
        gunzip.off("error", done);
        resolve();
      };
      gunzip.once("error", done);
      if (piece) gunzip.write(piece, done);
      else gunzip.end(done);
    });
  try {
    for await (const chunk of raw) {
      for (let at = 0; at < chunk.byteLength; at += PIECE_BYTES) {
        await fed(chunk.subarray(at, at + PIECE_BYTES));
        if (failed.err) throw failed.err;
        while (out.length > 0) yield out.shift()!;
      }
    }
    await fed(undefined);
    if (failed.err) throw failed.err;
    while (out.length > 0) yield out.shift()!;
  } finally {
    out.length = 0;
    gunzip.destroy();
  }
}

/**
 * A gzip stream inflated into one buffer of at most `max` bytes, or "over" as soon as the output
 * passes it (nothing more is inflated). Each output chunk is handed to `take` (a byte budget's) before
 * it is kept; a stream that does not inflate, and a `take` that refuses, throw.
 */
export async function gunzipUpTo(
  raw: AsyncIterable<Uint8Array>,
  max: number,
  take?: (n: number) => Promise<void> | void,
): Promise<Uint8Array | "over"> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of gunzipChunks(raw)) {
    total += chunk.byteLength;
    if (total > max) return "over";
    await take?.(chunk.byteLength);
    parts.push(chunk);
  }
  return Buffer.concat(parts, total);
}
