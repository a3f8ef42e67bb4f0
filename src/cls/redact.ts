import { ClsError } from "../errors.ts";
import type { ClsClient } from "./client.ts";

/**
 * Redaction of a secret echoed back by CLS (or a proxy in front of it) in any of the encodings an
 * error page or a JSON error may carry it in. Always applied to the whole text before it is cut:
 * cutting first can leave a secret's first part behind.
 */
export const REDACTED = "[redacted]";

/**
 * `text` with every occurrence of `secret` replaced by [redacted]: raw, JSON-escaped (also with `\/`),
 * HTML-escaped, URL-encoded (percent and form style) and base64 (standard and URL alphabet, at any
 * byte alignment inside a longer base64 run). `truncated`: the text is the head of something longer, so
 * a tail that is the start of an encoded secret (a secret straddling the cut) is dropped too.
 */
export function redact(text: string, secret: string, opts: { truncated?: boolean } = {}): string {
  if (!secret) return text;
  const forms = encodedForms(secret);
  let out = text;
  for (const form of forms) out = out.replaceAll(form, REDACTED);
  return opts.truncated ? dropPartialTail(out, forms) : out;
}

/** The encodings looked for, longest first, so a longer form is replaced before a form inside it. */
export function encodedForms(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1);
  const forms = new Set([
    secret,
    json,
    json.replaceAll("/", "\\/"),
    htmlEscape(secret),
    encodeURIComponent(secret),
    new URLSearchParams({ s: secret }).toString().slice(2),
    ...base64Forms(secret),
  ]);
  return [...forms].filter((f) => f.length > 0).sort((a, b) => b.length - a.length);
}

/**
 * The base64 characters that depend only on the secret, for each of its three possible byte offsets
 * in a longer encoded run (as in `Basic base64(user:key)`): a secret at offset s mod 3 always
 * encodes to the same characters between its first and last complete sextets.
 */
function base64Forms(secret: string): string[] {
  const bytes = Buffer.from(secret);
  const out: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const b64 = Buffer.concat([Buffer.alloc(shift), bytes]).toString("base64");
    const from = Math.ceil((8 * shift) / 6);
    const to = Math.floor((8 * (shift + bytes.length)) / 6);
    const stable = b64.slice(from, to);
    // Too short a run would redact unrelated base64 text and hides nothing worth hiding.
    if (stable.length < 8) continue;
    out.push(stable, stable.replaceAll("+", "-").replaceAll("/", "_"));
  }
  // A whole encoding with its padding, as an echoed header would carry it.
  out.push(bytes.toString("base64"));
  return out;
}

function htmlEscape(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll('"', "&quot;").replaceAll("'", "&#39;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** Drops the longest tail of `text` that is the start of one of the forms (a secret cut by the read bound). */
function dropPartialTail(text: string, forms: readonly string[]): string {
  let cut = 0;
  for (const form of forms) {
    for (let n = Math.min(form.length - 1, text.length); n > cut; n--) {
      if (text.endsWith(form.slice(0, n))) {
        cut = n;
        break;
      }
    }
  }
  return cut === 0 ? text : `${text.slice(0, text.length - cut)}${REDACTED}`;
}

/**
 * A client whose every failure leaves with its text redacted, whatever raised it (HTTP, page shape,
 * compressed list, a flatten): failure messages reach logs, /healthz and the stored snapshot.
 * `secret` is read at each failure, so a rotated key is the one redacted.
 */
export function redactingClient(client: ClsClient, secret: () => string): ClsClient {
  return {
    async list(endpoint, args, budget) {
      try {
        return await client.list(endpoint, args, budget);
      } catch (err) {
        if (!(err instanceof ClsError)) throw new ClsError("decode", endpoint, redact((err as Error).message ?? String(err), secret()));
        // The message starts with endpoint, kind and status (no secret there): its detail is what is redacted.
        const head = new ClsError(err.kind, err.endpoint, "", err.status).message;
        const detail = err.message.startsWith(head) ? err.message.slice(head.length) : err.message;
        throw new ClsError(err.kind, err.endpoint, redact(detail, secret()), err.status);
      }
    },
  };
}
