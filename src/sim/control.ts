/**
 * Control API under /_sim/, without API key, so tests and benchmarks in other processes (and the
 * demo) can drive a running simulator: stats, faults, churn, ground truth.
 */
import { z } from "zod";
import type { TickResult } from "./churn.ts";
import type { Expected } from "./expected.ts";
import { type ActiveFault, type FaultRuleInput, faultRulesSchema } from "./faults.ts";
import type { SimStats } from "./stats.ts";

export const CONTROL_PREFIX = "/_sim/";

export interface ControlTarget {
  stats(): SimStats;
  resetStats(): void;
  setFaults(rules: readonly FaultRuleInput[]): void;
  clearFaults(): void;
  faults(): ActiveFault[];
  tick(n?: number): TickResult;
  expected(pageSize?: number): Expected;
  info(): Record<string, unknown>;
}

const json = (status: number, body: unknown): Response =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

const countParam = z.string().regex(/^\d+$/).transform(Number).pipe(z.number().int().min(1).max(10_000));

type Handler = (req: Request, url: URL, sim: ControlTarget) => Response | Promise<Response>;

const ROUTES: Record<string, Handler> = {
  "GET stats": (_r, _u, sim) => json(200, sim.stats()),
  "POST reset-stats": (_r, _u, sim) => {
    sim.resetStats();
    return json(200, { ok: true });
  },
  "GET faults": (_r, _u, sim) => json(200, sim.faults()),
  "PUT faults": putFaults,
  "DELETE faults": (_r, _u, sim) => {
    sim.clearFaults();
    return json(200, { ok: true });
  },
  "POST tick": (_r, url, sim) => {
    const n = countParam.safeParse(url.searchParams.get("n") ?? "1");
    if (!n.success) return json(400, { error: "n must be an integer from 1 to 10000" });
    return json(200, sim.tick(n.data));
  },
  "GET expected": (_r, url, sim) => {
    const size = countParam.safeParse(url.searchParams.get("page-size") ?? "100");
    if (!size.success) return json(400, { error: "page-size must be a positive integer" });
    return json(200, sim.expected(size.data));
  },
  "GET info": (_r, _u, sim) => json(200, sim.info()),
};

async function putFaults(req: Request, _url: URL, sim: ControlTarget): Promise<Response> {
  let input: unknown;
  try {
    input = await req.json();
  } catch (e) {
    return json(400, { error: `body is not JSON: ${(e as Error).message}` });
  }
  const rules = faultRulesSchema.safeParse(input);
  if (!rules.success) return json(400, { error: `invalid fault rules:\n${z.prettifyError(rules.error)}` });
  sim.setFaults(rules.data);
  return json(200, { ok: true, rules: rules.data.length });
}

export async function handleControl(req: Request, url: URL, sim: ControlTarget): Promise<Response> {
  const name = url.pathname.slice(CONTROL_PREFIX.length).replace(/\/$/, "");
  const handler = ROUTES[`${req.method} ${name}`];
  if (handler) return handler(req, url, sim);
  const known = Object.keys(ROUTES).some((k) => k.endsWith(` ${name}`));
  return json(known ? 405 : 404, { error: `${req.method} ${url.pathname} is not a control route` });
}
