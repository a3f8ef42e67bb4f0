import { getPath } from "hono/utils/url";
import { type Authenticator, BUSY_RETRY_AFTER_S, type Verdict } from "./auth.ts";
import { type Problem, problemResponse } from "./problems.ts";

/**
 * What every request passes before routing: a bound on the URL, authentication (when configured)
 * for everything but the open paths, and the configured response headers. A plain function in
 * front of the router, not Hono middleware, so an authorised scrape of a built body stays
 * synchronous (see the /metrics handler in app.ts).
 */
/** What a request is checked against; read per request, so credentials reloaded meanwhile apply to the next one. */
export interface Gate {
  auth: Authenticator | undefined;
  /** "Basic" or "Bearer": the scheme a 401 asks for. */
  challenge: string;
}

export interface GuardOptions {
  gate: () => Gate;
  /** Paths served without credentials (health checks). */
  open: ReadonlySet<string>;
  /** Added to every response (web config `http_server_config.headers`). */
  headers: Readonly<Record<string, string>>;
}

/** Longer URLs are refused before any parsing (the longest real /history query is a few hundred bytes). */
export const MAX_URL_LENGTH = 4096;

type Handler = (req: Request) => Response | Promise<Response>;

export function guard(opts: GuardOptions, next: Handler): Handler {
  const extra = Object.entries(opts.headers);
  const decorate = (res: Response): Response => {
    for (const [k, v] of extra) res.headers.set(k, v);
    return res;
  };
  const pass = (req: Request): Response | Promise<Response> => {
    const res = next(req);
    if (extra.length === 0) return res;
    return res instanceof Response ? decorate(res) : res.then(decorate);
  };
  const refuse = (problem: Problem) => decorate(problemResponse(problem));
  // No detail: the same answer for a missing header, a wrong password and an unknown user.
  const unauthorized = (challenge: string) => refuse({ kind: "unauthorized", challenge });
  return (incoming) => {
    let req = incoming;
    const url = req.url;
    if (url.length > MAX_URL_LENGTH) return refuse({ kind: "uri_too_long" });
    if (!url.startsWith("http://") && !url.startsWith("https://")) {
      // Bun gives a bare path when the Host header is missing (HTTP/1.0 health checks) or invalid,
      // which the router would misread. It gets an absolute URL, so that the guard and the router
      // see the same path; anything else is refused.
      if (!url.startsWith("/")) return refuse({ kind: "bad_target" });
      req = new Request(`http://localhost${url}`, req);
    }
    // The router's own path function: what is exempt here is exactly what the router serves as such.
    const { auth, challenge } = opts.gate();
    if (!auth || opts.open.has(getPath(req))) return pass(req);
    const answer = (v: Verdict) =>
      v === true ? pass(req) : v === false ? unauthorized(challenge) : refuse({ kind: "auth_busy", retryAfterS: BUSY_RETRY_AFTER_S });
    const verdict = auth(req.headers.get("authorization"));
    return typeof verdict === "object" ? verdict.then(answer) : answer(verdict);
  };
}
