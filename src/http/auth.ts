import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { type Logger, refusalReporter } from "../log.ts";
import { createCheckQueue, type Verdict } from "./check-queue.ts";
import { RecentSet } from "./recent-set.ts";

/**
 * Checks the Authorization header against basic-auth users (bcrypt, as exporter-toolkit) and an
 * optional bearer token. Either credential is enough when both are configured.
 *
 * bcrypt costs ~60 ms of CPU per check by design, so a credential is checked once and then
 * remembered by a keyed hash (HMAC-SHA-256 under a random key made per authenticator, never the
 * password, so a memory dump gives no offline oracle): a verified one for as long as it is used
 * (Prometheus sends the same password on every scrape), a failed one for FAILED_LIFETIME_MS
 * (the FAILED_REMEMBERED most recent). Identical credentials in flight share one check. At most
 * CHECKS_RUNNING bcrypt runs happen at once (off the event loop) and CHECKS_WAITING wait; a check
 * never waits behind more than those four, and when the line is full the longest-waiting check is
 * answered "busy" (HTTP 503 with Retry-After, never a 401: the credential was not judged).
 *
 * What a flood can still do, whatever its source address (nothing here is by address: behind a
 * proxy that would lock everyone out):
 * - the same wrong credential repeated: one bcrypt run, then answered from memory; nothing else waits.
 * - distinct guesses: at most two CPU threads busy, and a credential not yet remembered waits at
 *   most ~3 bcrypt runs (~200 ms at cost 10) or gets a 503 if more than CHECKS_WAITING newer
 *   guesses arrive before a runner frees. Above bcrypt's rate (~30 guesses/s at cost 10) that
 *   can refuse a correct password that is not yet remembered (the first scrape after a start)
 *   until the flood eases; once verified, no flood affects it, since guesses cannot evict it.
 * An unknown user is checked against a dummy hash so the first answer's timing does not reveal user
 * names; repeats of any failed credential are answered equally fast.
 */
export interface AuthOptions {
  users: ReadonlyMap<string, string>;
  bearerToken?: string;
  verify?: (password: string, hash: string) => Promise<boolean>;
  /** Clock for the lifetime of remembered failures; Date.now by default. */
  now?: () => number;
  /** Where refusals for load are reported (at most once a minute). */
  log?: Logger;
}

/** Synchronous when the answer is known without bcrypt (bearer tokens, remembered credentials, junk). */
export type Authenticator = (authorization: string | null) => Verdict | Promise<Verdict>;
export type { Verdict } from "./check-queue.ts";

/** Verified credentials remembered (least recently used out first). */
const VERIFIED_REMEMBERED = 256;
/** Failed credentials remembered, so a repeated guess costs no bcrypt run: ~100 bytes each. */
export const FAILED_REMEMBERED = 4096;
/** How long a failed credential is remembered after its last try. */
export const FAILED_LIFETIME_MS = 15 * 60_000;
export const CHECKS_RUNNING = 2;
export const CHECKS_WAITING = 2;
/** The Retry-After of a refusal for load: a check lasts well under a second. */
export const BUSY_RETRY_AFTER_S = 1;

/** The cost of a bcrypt hash ($2y$10$… → 10). */
const costOf = (hash: string) => Number(hash.slice(4, 6)) || 10;

export function createAuthenticator(opts: AuthOptions): Authenticator | undefined {
  if (opts.users.size === 0 && opts.bearerToken === undefined) return undefined;
  const secret = randomBytes(32);
  const keyed = (text: string) => createHmac("sha256", secret).update(text).digest();
  const bearer = opts.bearerToken === undefined ? undefined : keyed(opts.bearerToken);
  const basic = opts.users.size === 0 ? () => false : basicChecker(opts, (text) => keyed(text).toString("base64"));
  return (authorization) => {
    if (!authorization || authorization.length > 4096) return false;
    const m = /^(Basic|Bearer)\s+(\S+)\s*$/i.exec(authorization);
    if (!m) return false;
    if (m[1]!.toLowerCase() === "bearer") return bearer !== undefined && timingSafeEqual(keyed(m[2]!), bearer);
    return basic(m[2]!);
  };
}

function basicChecker(opts: AuthOptions, keyed: (text: string) => string): (encoded: string) => Verdict | Promise<Verdict> {
  const now = opts.now ?? Date.now;
  const verify = opts.verify ?? ((password, hash) => Bun.password.verify(password, hash, "bcrypt"));
  const verified = new RecentSet(VERIFIED_REMEMBERED, Number.POSITIVE_INFINITY, now);
  const failed = new RecentSet(FAILED_REMEMBERED, FAILED_LIFETIME_MS, now);
  const inFlight = new Map<string, Promise<Verdict>>();
  const queue = createCheckQueue({
    running: CHECKS_RUNNING,
    waiting: CHECKS_WAITING,
    onBusy: refusalReporter(opts.log, now, "too many credential checks at once; refused with 503 until bcrypt catches up", {
      running: CHECKS_RUNNING,
      waiting: CHECKS_WAITING,
    }),
  });
  // Unknown users are checked against a hash of a random password at the highest configured cost,
  // so that they take as long as known ones; made off the event loop, once.
  const cost = Math.max(...[...opts.users.values()].map(costOf));
  const dummy = Bun.password.hash(crypto.randomUUID(), { algorithm: "bcrypt", cost });
  return (encoded) => {
    const decoded = Buffer.from(encoded, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) return false;
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const hash = opts.users.get(user);
    // The hash is part of the key: a changed hash never meets an old verdict.
    const key = keyed(`${user}\0${password}\0${hash ?? ""}`);
    if (hash !== undefined && verified.has(key)) return true;
    if (failed.has(key)) return false;
    const pending = inFlight.get(key);
    if (pending) return pending;
    const check = queue(async () => verify(password, hash ?? (await dummy))).then((v) => {
      inFlight.delete(key);
      if (v === "busy") return v;
      const ok = v && hash !== undefined;
      (ok ? verified : failed).add(key);
      return ok;
    });
    inFlight.set(key, check);
    return check;
  };
}

/** Refusals for load are logged with their count, at most once a minute, so a flood does not flood the log. */
