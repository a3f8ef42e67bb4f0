/** What one CLS answer becomes once read: its parsed body, or the ClsError that says what was wrong with it. */
import { ClsError } from "../errors.ts";
import { readHead } from "./body.ts";
import type { EndpointName } from "./endpoints.ts";
import { redact } from "./redact.ts";

/**
 * At most ERROR_BODY_BYTES of an error body (the rest is never read), the key redacted in every
 * encoding before the excerpt is cut, so no part of it survives the cut.
 */
export async function excerptOf(res: Response, apiKey: string): Promise<string> {
  const head = await readHead(res);
  const excerpt = redact(head.text, apiKey, { truncated: head.truncated }).replace(/\s+/g, " ").trim().slice(0, EXCERPT_CHARS);
  return excerpt ? `: ${excerpt}` : "";
}

/** Characters of an error body kept in the message (and so in logs, /healthz and the stored snapshot). */
const EXCERPT_CHARS = 200;

export function tooLarge(
  endpoint: EndpointName,
  read: { reason: "content-length" | "stream" | "budget"; bytes: number },
  max: number,
  capacity: number,
): ClsError {
  if (read.reason === "budget") {
    return new ClsError(
      "too_large",
      endpoint,
      `answers read at the same time held more than ${capacity} bytes together (the shared read budget, the larger of CLS_MAX_RESPONSE_BYTES and CLS_MAX_INFLATED_BYTES); this one, the largest, was refused after ${read.bytes} bytes`,
    );
  }
  const seen = read.reason === "content-length" ? `Content-Length ${read.bytes}` : `more than ${max} bytes read`;
  return new ClsError("too_large", endpoint, `answer larger than CLS_MAX_RESPONSE_BYTES (${max} bytes): ${seen}; not read further`);
}

/**
 * JSON.parse on the event loop: at the default CLS_MAX_RESPONSE_BYTES (8 MiB) it blocks ~40 ms. A Worker
 * would not help: handing the parsed value back costs the main thread most of what the parse does
 * (BENCHMARKS.md (h)).
 */
export function parseBody(endpoint: EndpointName, bytes: Uint8Array, onDecodeError: () => void): { body?: unknown; error?: ClsError } {
  try {
    return { body: JSON.parse(new TextDecoder().decode(bytes)) };
  } catch {
    onDecodeError();
    return { error: new ClsError("decode", endpoint, `response is not JSON (${bytes.byteLength} bytes)`) };
  }
}
