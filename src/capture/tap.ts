/**
 * Reading an answer's body for the capture without changing what the client gets: at most `max`
 * raw bytes are read; the client is handed a Response with the same status, headers and bytes,
 * and, past the bound, a stream that gives back what was read and then reads on from CLS (the client
 * refuses it at its own bound, as without the capture).
 */
export type Tapped =
  | { kind: "whole"; bytes: Uint8Array; response: Response }
  | { kind: "over"; bytes: number; response: Response }
  | { kind: "broken"; response: Response };

export async function readUpTo(res: Response, max: number): Promise<Tapped> {
  const declared = Number(res.headers.get("content-length") ?? Number.NaN);
  // Declared too large: nothing is read, the client refuses it on the same header.
  if (declared > max) return { kind: "over", bytes: declared, response: res };
  const reader = res.body?.getReader();
  if (!reader) return { kind: "whole", bytes: new Uint8Array(0), response: res };
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.byteLength;
      if (total > max) return { kind: "over", bytes: total, response: again(res, chunks, reader) };
    }
  } catch (err) {
    return { kind: "broken", response: again(res, chunks, undefined, err) };
  }
  const bytes = Buffer.concat(chunks, total);
  // A status that may not carry a body (204, 304) gets none, as it came.
  const body = total === 0 && NO_BODY.has(res.status) ? null : bytes;
  return { kind: "whole", bytes, response: new Response(body, init(res)) };
}

const NO_BODY: ReadonlySet<number> = new Set([101, 204, 205, 304]);

const init = (res: Response): ResponseInit => ({ status: res.status, statusText: res.statusText, headers: res.headers });

/** A Response giving `read` again, then the rest of `rest` (or the error the read broke on). */
function again(
  res: Response,
  read: Uint8Array[],
  rest?: { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(reason?: unknown): Promise<void> },
  err?: unknown,
): Response {
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = read.shift();
      if (next) return controller.enqueue(next);
      if (!rest) return controller.error(err ?? new Error("body broke off"));
      const { value, done } = await rest.read();
      if (done) controller.close();
      else if (value) controller.enqueue(value);
    },
    cancel(reason) {
      return rest?.cancel(reason);
    },
  });
  return new Response(stream, init(res));
}
