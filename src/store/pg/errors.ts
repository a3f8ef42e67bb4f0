import { StoreError, type StoreReason } from "../../errors.ts";

/**
 * PostgreSQL failures as StoreErrors, named by a URL that never shows its password. The URL
 * (DATABASE_URL) is a secret: its password, and a password or sslpassword given as a query
 * parameter, are removed from everything this module writes, also from the driver's and server's
 * own texts in case one quotes them.
 */

/** The URL as it may be shown: scheme, user, host, port and database; no password, no query. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    const user = u.username ? `${u.username}@` : "";
    return `${u.protocol}//${user}${u.host}${u.pathname}`;
  } catch {
    return "(a URL that cannot be parsed)";
  }
}

/** Every form in which the URL's secrets could appear in a text. */
function secretsOf(url: string): string[] {
  const found = new Set<string>();
  try {
    const u = new URL(url);
    const add = (s: string | null) => {
      if (!s) return;
      found.add(s);
      try {
        found.add(decodeURIComponent(s));
      } catch {
        // Not percent-encoded validly: the raw form is enough.
      }
    };
    add(u.password);
    add(u.searchParams.get("password"));
    add(u.searchParams.get("sslpassword"));
  } catch {
    // An unparseable URL: the whole of it is the secret.
    found.add(url);
  }
  return [...found].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
}

/** `text` with every occurrence of the URL's secrets replaced by ***. */
export function scrub(text: string, url: string): string {
  let out = text;
  for (const s of secretsOf(url)) out = out.split(s).join("***");
  return out;
}

/** SQLSTATE (server) and errno / postgres.js codes (client) that call for their own reason; others are "error". */
const REASONS: Readonly<Record<string, StoreReason>> = {
  ECONNREFUSED: "cannot_open",
  ENOTFOUND: "cannot_open",
  EAI_AGAIN: "cannot_open",
  ETIMEDOUT: "cannot_open",
  ECONNRESET: "io",
  CONNECT_TIMEOUT: "cannot_open",
  CONNECTION_CLOSED: "io",
  CONNECTION_ENDED: "io",
  CONNECTION_DESTROYED: "io",
  "28000": "cannot_open", // invalid authorization
  "28P01": "cannot_open", // wrong password
  "3D000": "cannot_open", // no such database
  "53100": "full", // disk full
  "25006": "readonly", // read-only transaction (a standby)
  "55P03": "busy", // lock not available (lock_timeout)
  "57P01": "io", // the server shut down the session
  "57P03": "cannot_open", // the server is starting up
};

/** The error as a StoreError whose message names the redacted URL and quotes no secret. */
export function pgStoreError(err: unknown, url: string, context: string): StoreError {
  const where = `${context} (${redactedUrl(url)})`;
  if (err instanceof StoreError) return new StoreError(err.reason, scrub(`${where}: ${err.message}`, url));
  const code = String((err as { code?: unknown })?.code ?? "");
  const detail = (err as Error)?.message ?? String(err);
  return new StoreError(REASONS[code] ?? "error", scrub(`${where}: ${detail}`, url));
}
