import { createHash, timingSafeEqual } from "node:crypto";
import pLimit from "p-limit";

/**
 * Checks the Authorization header against basic-auth users (bcrypt, as exporter-toolkit) and an
 * optional bearer token. Either credential is enough when both are configured.
 *
 * bcrypt costs ~60 ms of CPU per check by design, and Prometheus sends the same password on every
 * scrape: a verified (user, password, hash) triple is remembered (its SHA-256, never the password),
 * so a scrape costs one hash lookup. Failed checks are not remembered, but at most two bcrypt runs
 * happen at once (Bun runs them off the event loop) and at most 16 wait, so wrong passwords cannot
 * take the CPU or memory from scrapes. An unknown user is checked against a dummy hash so timing does not reveal user names.
 */
export interface AuthOptions {
  users: ReadonlyMap<string, string>;
  bearerToken?: string;
  verify?: (password: string, hash: string) => Promise<boolean>;
}

/** Synchronous when the answer is known without bcrypt (bearer tokens, remembered passwords, junk). */
export type Authenticator = (authorization: string | null) => boolean | Promise<boolean>;

const REMEMBERED = 256;
/** Checks waiting for bcrypt beyond this are refused at once: a flood of guesses cannot queue without end. */
const MAX_WAITING = 16;

const sha256 = (text: string) => createHash("sha256").update(text).digest();
const sameSecret = (a: string, b: Buffer) => timingSafeEqual(sha256(a), b);

/** The cost of a bcrypt hash ($2y$10$… → 10). */
const costOf = (hash: string) => Number(hash.slice(4, 6)) || 10;

export function createAuthenticator(opts: AuthOptions): Authenticator | undefined {
  if (opts.users.size === 0 && opts.bearerToken === undefined) return undefined;
  const verify = opts.verify ?? ((password, hash) => Bun.password.verify(password, hash, "bcrypt"));
  const bearer = opts.bearerToken === undefined ? undefined : sha256(opts.bearerToken);
  const limit = pLimit(2);
  const verified = new Set<string>();
  // Unknown users are checked against a hash of a random password at the highest configured cost,
  // so that they take as long as known ones; made off the event loop, once.
  const costs = [...opts.users.values()].map(costOf);
  const dummy =
    opts.users.size === 0 ? undefined : Bun.password.hash(crypto.randomUUID(), { algorithm: "bcrypt", cost: Math.max(...costs) });

  function basic(encoded: string): boolean | Promise<boolean> {
    if (opts.users.size === 0) return false;
    const decoded = Buffer.from(encoded, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) return false;
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const hash = opts.users.get(user);
    const key = sha256(`${user}\0${password}\0${hash ?? ""}`).toString("base64");
    if (hash && verified.has(key)) return true;
    if (limit.pendingCount >= MAX_WAITING) return false;
    // Any failure of bcrypt (a malformed hash, say) is a refusal, never an error to the client.
    return limit(async () => verify(password, hash ?? (await dummy!)))
      .catch(() => false)
      .then((ok) => {
        if (!ok || !hash) return false;
        if (verified.size >= REMEMBERED) verified.clear();
        verified.add(key);
        return true;
      });
  }

  return (authorization) => {
    if (!authorization || authorization.length > 4096) return false;
    const m = /^(Basic|Bearer)\s+(\S+)\s*$/i.exec(authorization);
    if (!m) return false;
    if (m[1]!.toLowerCase() === "bearer") return bearer !== undefined && sameSecret(m[2]!, bearer);
    return basic(m[2]!);
  };
}
