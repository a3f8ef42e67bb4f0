import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { StoreError } from "../errors.ts";
import { HistoryBusy, TooManyPoints } from "../store/index.ts";

/**
 * Every answer that is not a success, decided here and nowhere else: the guard, the router, the
 * /history handler and Bun's last-resort error handler all turn what went wrong into one of these.
 * Bodies never carry a stack trace or an upstream's text; the log has the detail.
 */
export type Problem =
  /** A query parameter that cannot be used: JSON naming it. */
  | { kind: "bad_query"; parameter: string; message: string }
  /** A request target that is not a path (no usable Host, `*`, an absolute-form proxy request). */
  | { kind: "bad_target" }
  /** Credentials missing or wrong: the same answer for each, with the scheme to use. */
  | { kind: "unauthorized"; challenge: string }
  /** Credentials not checked because too many checks were under way: not a verdict on them, so no 401. */
  | { kind: "auth_busy"; retryAfterS: number }
  | { kind: "not_found" }
  | { kind: "method_not_allowed" }
  | { kind: "uri_too_long" }
  /** The history store cannot answer: why, and when to ask again. */
  | { kind: "unavailable"; reason: string; detail: string }
  /** Too many /history queries already wait: when to ask again. */
  | { kind: "history_busy"; retryAfterS: number }
  /** The client went away before its answer was ready: nobody reads this. */
  | { kind: "client_gone" }
  /** An answer took longer than its bound. */
  | { kind: "timed_out"; retryAfterS: number }
  /** A bug: nothing about it is told to the client. */
  | { kind: "internal" };

/** A lane's waiting queries are each bounded by the 30 s /history timeout; most are done in a few seconds. */
const HISTORY_BUSY_RETRY_S = 5;

const TEXT = { "content-type": "text/plain; charset=utf-8" };

/** The response for a problem. */
export function problemResponse(p: Problem): Response {
  switch (p.kind) {
    case "bad_query":
      return Response.json({ error: `${p.parameter}: ${p.message}`, parameter: p.parameter }, { status: 400 });
    case "bad_target":
      return new Response("bad request\n", { status: 400, headers: TEXT });
    case "unauthorized":
      return new Response("Unauthorized\n", {
        status: 401,
        headers: { ...TEXT, "www-authenticate": `${p.challenge} realm="nvidia-license-server-exporter"` },
      });
    case "auth_busy":
      return new Response("too many credential checks at once; retry\n", {
        status: 503,
        headers: { ...TEXT, "retry-after": String(p.retryAfterS) },
      });
    case "not_found":
      return new Response("not found\n", { status: 404, headers: TEXT });
    case "method_not_allowed":
      return new Response("method not allowed\n", { status: 405, headers: { ...TEXT, allow: "GET, HEAD" } });
    case "uri_too_long":
      return new Response("URI too long\n", { status: 414, headers: TEXT });
    case "unavailable":
      return Response.json(
        { error: "history is unavailable", reason: p.reason, detail: p.detail },
        { status: 503, headers: { "retry-after": "60" } },
      );
    case "history_busy":
      return Response.json(
        { error: "history is busy", reason: "busy", detail: "too many history queries are waiting: ask again later" },
        { status: 503, headers: { "retry-after": String(p.retryAfterS) } },
      );
    case "client_gone":
      return new Response(null, { status: 499 });
    case "timed_out":
      return new Response("timed out\n", { status: 503, headers: { ...TEXT, "retry-after": String(p.retryAfterS) } });
    case "internal":
      return new Response("internal error\n", { status: 500, headers: TEXT });
  }
}

/** Thrown by a handler (or hono's timeout middleware) to answer with a problem. */
export class ProblemException extends HTTPException {
  constructor(readonly problem: Problem) {
    const res = problemResponse(problem);
    super(res.status as ContentfulStatusCode, { res });
  }
}

/** What an error thrown while answering becomes; anything unforeseen is internal. */
export function problemOf(err: unknown): Problem {
  if (err instanceof ProblemException) return err.problem;
  if (err instanceof TooManyPoints) return { kind: "bad_query", parameter: "step", message: err.message };
  if (err instanceof HistoryBusy) return { kind: "history_busy", retryAfterS: HISTORY_BUSY_RETRY_S };
  if (err instanceof StoreError) return { kind: "unavailable", reason: err.reason, detail: err.message };
  return { kind: "internal" };
}
