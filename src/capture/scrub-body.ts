import { base64Pieces } from "../cls/compressed.ts";
import { gunzipUpTo } from "../cls/gunzip.ts";
import type { ClsLimits } from "../cls/limits.ts";
import type { Pseudonyms } from "./pseudonym.ts";
import { scrubJson } from "./scrub-json.ts";

/**
 * One answer's body as a capture keeps it, scrubbed before anything is written:
 * - json: the scrubbed JSON text (a compressedClients list inflated, scrubbed, gzipped and base64'd again);
 * - standin: a text that says what was not kept (a non-JSON body may hold anything: it is not kept,
 *   and the stand-in is still not JSON, so the replay fails the same way);
 * - cut: over CLS_MAX_RESPONSE_BYTES once inflated (the client refused it; the replay sends as much filler).
 */
export type KeptBody = { kind: "json"; text: string } | { kind: "standin"; text: string } | { kind: "cut"; bytes: number };

/** How a corrupt compressedClients is kept: valid base64 of a gzip stream cut short, which still does not inflate. */
export const CORRUPT_COMPRESSED = Buffer.from(Bun.gzipSync(new TextEncoder().encode('{"clients":[]}')))
  .subarray(0, 12)
  .toString("base64");

/** How the key is taken out of a text; a compressed list is redacted inside, where the written file's redaction cannot see. */
export type Redact = (text: string) => string;

export async function keptBody(
  raw: Uint8Array,
  gzip: boolean,
  contentType: string,
  limits: ClsLimits,
  p: Pseudonyms,
  redact: Redact = (t) => t,
): Promise<KeptBody> {
  let plain = raw;
  if (gzip) {
    const inflated = await inflateBounded(one(raw), limits.maxResponseBytes);
    if (inflated === "corrupt") return standin(`gzip body of ${raw.byteLength} bytes that does not inflate`);
    if (inflated === "over") return { kind: "cut", bytes: limits.maxResponseBytes + 1 };
    plain = inflated;
  }
  if (plain.byteLength === 0) return { kind: "json", text: "" };
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(plain));
  } catch {
    return standin(
      `a body of ${plain.byteLength} bytes that is not JSON (${contentType || "no content type"}); not kept: it may hold anything`,
    );
  }
  const scrubbed = scrubJson(parsed, p) as unknown;
  if (isObject(parsed) && typeof parsed.compressedClients === "string" && isObject(scrubbed)) {
    scrubbed.compressedClients = await scrubCompressed(parsed.compressedClients, limits, p, redact);
  }
  return { kind: "json", text: JSON.stringify(scrubbed) };
}

/** compressedClients inflated (bounded as the client bounds it), scrubbed, gzipped and base64'd again. */
async function scrubCompressed(b64: string, limits: ClsLimits, p: Pseudonyms, redact: Redact): Promise<string> {
  const inflated = await inflateBounded(base64Pieces(b64), limits.maxInflatedBytes);
  // Past the bound the client refused it as too large: as much whitespace (no content of CLS) keeps that so.
  if (inflated === "over") return Buffer.from(Bun.gzipSync(new Uint8Array(limits.maxInflatedBytes + 1).fill(32))).toString("base64");
  if (inflated === "corrupt") return CORRUPT_COMPRESSED;
  let inner: unknown;
  try {
    inner = JSON.parse(new TextDecoder().decode(inflated));
  } catch {
    return Buffer.from(Bun.gzipSync(new TextEncoder().encode("not JSON (not kept)"))).toString("base64");
  }
  const text = redact(JSON.stringify(scrubJson(inner, p)));
  return Buffer.from(Bun.gzipSync(new TextEncoder().encode(text))).toString("base64");
}

/** Bounded as the client bounds it (gunzipUpTo); a stream that does not inflate is "corrupt". */
async function inflateBounded(source: AsyncIterable<Uint8Array>, max: number): Promise<Uint8Array | "over" | "corrupt"> {
  try {
    return await gunzipUpTo(source, max);
  } catch {
    return "corrupt";
  }
}

async function* one(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

const standin = (text: string): KeptBody => ({ kind: "standin", text: `[capture: ${text}]` });
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
