/**
 * One CLS request through the simulator: log, latency, auth, faults, then the route. Delays and
 * hangs end early when the client aborts or the simulator stops, so nothing outlives a test.
 */
import type { Sleep } from "../clock.ts";
import { applyBodyFaults, type FaultRule, type FaultSet, isShortCircuit } from "./faults.ts";
import { hasListFault, serveListFault } from "./list-faults.ts";
import type { SimModel } from "./model.ts";
import { isOversize, oversizeReply } from "./oversize.ts";
import { errorBody, matchRoute, type RouteMatch, serveCls } from "./routes.ts";
import type { RequestLog, RequestLogEntry } from "./stats.ts";

export interface ClsDeps {
  model: SimModel;
  apiKey: string;
  faults: FaultSet;
  log: RequestLog;
  latencyMs: () => number;
  compressedLeases: () => boolean;
  stopping: AbortSignal;
  /** Every delay (latency, fault latencyMs) goes through it, so tests can see and release delays without waiting. */
  sleep: Sleep;
}

/** Just what is used of Bun's Server, so this file does not depend on its generic parameters. */
export interface TimeoutControl {
  timeout(req: Request, seconds: number): void;
}

export async function handleClsRequest(deps: ClsDeps, req: Request, url: URL, server: TimeoutControl): Promise<Response> {
  const match = matchRoute(url.pathname);
  const keyOk = req.headers.get("x-api-key") === deps.apiKey;
  const entry = deps.log.begin(req, url, match?.endpoint ?? "unknown", keyOk);
  let status: number | null = null;
  try {
    const res = await answer(deps, { req, url, match, keyOk, entry, server });
    status = res?.status ?? null;
    // Nobody reads this one: the client is gone or the simulator is stopping.
    return res ?? reply(499, { status: 499, message: "client closed request" });
  } finally {
    deps.log.end(entry, status);
  }
}

interface Call {
  req: Request;
  url: URL;
  match: RouteMatch | null;
  keyOk: boolean;
  entry: RequestLogEntry;
  server: TimeoutControl;
}

/** null = aborted while waiting. */
async function answer(deps: ClsDeps, call: Call): Promise<Response | null> {
  const { req, match } = call;
  if (!(await wait(deps, call, deps.latencyMs()))) return null;
  if (!call.keyOk) return replyResult(errorBody(401, "missing or invalid x-api-key"));
  if (req.method !== "GET") return replyResult(errorBody(405, `${req.method} not allowed`));
  if (!match) return replyResult(errorBody(404, `no route for ${call.url.pathname}`));
  const instanceId = req.headers.get("x-nv-service-instance-id");
  const vgId = match.vg !== undefined && /^\d+$/.test(match.vg) ? Number(match.vg) : undefined;
  const rule = deps.faults.take({ endpoint: match.endpoint, vgId, serverId: match.serverId, instanceId: instanceId ?? undefined });
  call.entry.faulted = rule !== null;
  if (rule?.latencyMs && !(await wait(deps, call, rule.latencyMs))) return null;
  if (rule?.hang) return wait(deps, call, Infinity).then(() => null);
  if (rule && isOversize(rule)) {
    const real = serveCls(deps.model, { match, query: call.url.searchParams, instanceId, compressedLeases: false });
    return oversizeReply(rule, real.status, real.body);
  }
  if (rule && isShortCircuit(rule)) {
    return reply(rule.status ?? 500, { status: rule.status, message: "injected fault" }, rule.retryAfter);
  }
  const request = { match, query: call.url.searchParams, instanceId, compressedLeases: deps.compressedLeases() };
  const result = hasListFault(rule)
    ? serveListFault(rule, (query) => serveCls(deps.model, { ...request, query, compressedLeases: false }), request.query)
    : serveCls(deps.model, request);
  return replyFaulted(rule, result.status, result.body);
}

function replyResult(r: { status: number; body: unknown }): Response {
  return reply(r.status, r.body);
}

function reply(status: number, body: unknown, retryAfter?: string): Response {
  return replyText(status, JSON.stringify(body), retryAfter);
}

function replyFaulted(rule: FaultRule | null, status: number, body: unknown): Response {
  const out = applyBodyFaults(rule, status, body);
  return replyText(out.status, out.text, rule?.retryAfter, out.contentType);
}

function replyText(status: number, text: string, retryAfter?: string, contentType = "application/json"): Response {
  const headers: Record<string, string> = { "content-type": contentType };
  if (retryAfter !== undefined) headers["retry-after"] = retryAfter;
  return new Response(text, { status, headers });
}

/** Resolves true after `ms`, false as soon as the client aborts or the simulator stops. */
async function wait(deps: ClsDeps, call: Call, ms: number): Promise<boolean> {
  if (ms <= 0) return true;
  // Bun closes connections idle for 10 s by default, even mid-request: a hang must outlive that.
  call.server.timeout(call.req, 0);
  const sources = [call.req.signal, deps.stopping];
  if (sources.some((s) => s.aborted)) return false;
  // One signal for both, whose listeners go when the wait ends: `stopping` lives as long as the simulator.
  const either = new AbortController();
  const abort = () => either.abort();
  for (const s of sources) s.addEventListener("abort", abort);
  try {
    await (Number.isFinite(ms) ? deps.sleep(ms, either.signal) : untilAborted(either.signal));
    return true;
  } catch {
    return false;
  } finally {
    for (const s of sources) s.removeEventListener("abort", abort);
  }
}

const untilAborted = (signal: AbortSignal): Promise<never> =>
  new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true }));
