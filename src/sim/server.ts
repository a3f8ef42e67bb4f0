/**
 * The CLS simulator: one org served over real HTTP (Bun.serve), plus the /_sim/ control API.
 * Used by tests, the demo and benchmarks in place of api.licensing.nvidia.com.
 */
import { abortableSleep, type Sleep } from "../clock.ts";
import { tick as churnTick, type TickResult } from "./churn.ts";
import { type ClsDeps, handleClsRequest } from "./cls-handler.ts";
import { CONTROL_PREFIX, type ControlTarget, handleControl } from "./control.ts";
import { followCurves } from "./daily-curve.ts";
import { recompute } from "./derive.ts";
import { type Expected, expected } from "./expected.ts";
import { type ActiveFault, type FaultRuleInput, FaultSet } from "./faults.ts";
import type { SimModel } from "./model.ts";
import { mulberry32, type Rng } from "./random.ts";
import { RequestLog, type SimStats } from "./stats.ts";

export interface SimulatorOptions {
  scenario: SimModel;
  apiKey: string;
  /** 0 (default) = ephemeral port. */
  port?: number;
  hostname?: string;
  /** Answer leases calls with compressedClients instead of clients. */
  compressedLeases?: boolean;
  /** Added to every CLS call (benchmarks use 20 ms to resemble a remote API). */
  latencyMs?: number;
  /** Seed of the churn generator used by tick(). */
  seed?: number;
  /** How delays are waited out; tests pass one they control. Real timers by default. */
  sleep?: Sleep;
  /** The clock a scenario's daily curves follow on every tick (src/sim/daily-curve.ts); Date.now by default. */
  now?: () => number;
}

export interface Simulator {
  /** Base URL without trailing slash, e.g. http://127.0.0.1:41234 (paths start with /v1/org/...). */
  url: string;
  port: number;
  orgName: string;
  model: SimModel;
  stop(): Promise<void>;
  /** Replaces the fault rules; throws (ZodError) on invalid rules. */
  setFaults(rules: readonly FaultRuleInput[]): void;
  clearFaults(): void;
  faults(): ActiveFault[];
  stats(): SimStats;
  resetStats(): void;
  /** Runs n churn steps (default 1); returns the summed changes and the resulting lease count. */
  tick(n?: number): TickResult;
  expected(pageSize?: number): Expected;
  setOptions(opts: { compressedLeases?: boolean; latencyMs?: number }): void;
}

interface Settings {
  compressedLeases: boolean;
  latencyMs: number;
}

export function startSimulator(opts: SimulatorOptions): Simulator {
  const model = opts.scenario;
  const settings: Settings = { compressedLeases: opts.compressedLeases ?? false, latencyMs: opts.latencyMs ?? 0 };
  const hostname = opts.hostname ?? "127.0.0.1";
  const stopping = new AbortController();
  const deps: ClsDeps = {
    model,
    apiKey: opts.apiKey,
    faults: new FaultSet(),
    log: new RequestLog(),
    latencyMs: () => settings.latencyMs,
    compressedLeases: () => settings.compressedLeases,
    stopping: stopping.signal,
    sleep: opts.sleep ?? abortableSleep,
  };
  const control = controlTarget(deps, settings, mulberry32(opts.seed ?? 1), opts.now ?? Date.now);
  const server = Bun.serve({
    hostname,
    port: opts.port ?? 0,
    fetch(req, srv) {
      const url = new URL(req.url);
      if (url.pathname.startsWith(CONTROL_PREFIX)) return handleControl(req, url, control);
      return handleClsRequest(deps, req, url, srv);
    },
  });
  const port = server.port ?? 0;
  return {
    ...control,
    url: `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`,
    port,
    orgName: model.orgName,
    model,
    async stop() {
      stopping.abort(); // releases hung and delayed requests first, or stop(true) would cut them mid-wait
      await server.stop(true);
    },
    setOptions(next) {
      if (next.compressedLeases !== undefined) settings.compressedLeases = next.compressedLeases;
      if (next.latencyMs !== undefined) settings.latencyMs = next.latencyMs;
    },
  };
}

function controlTarget(deps: ClsDeps, settings: Settings, rng: Rng, now: () => number): ControlTarget {
  const { model, faults, log } = deps;
  return {
    stats: () => log.snapshot(),
    resetStats: () => log.reset(),
    setFaults: (rules) => faults.set(rules),
    clearFaults: () => faults.clear(),
    faults: () => faults.list(),
    tick: (n = 1) => runTicks(model, rng, n, now),
    expected: (pageSize) => expected(model, pageSize),
    info: () => ({ orgName: model.orgName, ...settings }),
  };
}

function runTicks(model: SimModel, rng: Rng, n: number, now: () => number): TickResult {
  const sum: TickResult = { added: 0, removed: 0, leases: 0 };
  for (let i = 0; i < n; i++) {
    const r = churnTick(model, rng);
    sum.added += r.added;
    sum.removed += r.removed;
    sum.leases = r.leases;
  }
  if (model.dailyCurves.length > 0) {
    followCurves(model, now(), rng);
    recompute(model);
  }
  return sum;
}

/**
 * The simulator's CLS answers without a socket: the same handler, checks and routes as over HTTP,
 * for a model of its own (no faults, no latency). The demo's back-fill asks it thousands of times.
 */
export function inProcessCls(model: SimModel, apiKey: string): (input: string, init: RequestInit) => Promise<Response> {
  const deps: ClsDeps = {
    model,
    apiKey,
    faults: new FaultSet(),
    log: new RequestLog(),
    latencyMs: () => 0,
    compressedLeases: () => false,
    stopping: new AbortController().signal,
    sleep: abortableSleep,
  };
  const noTimeout = { timeout() {} };
  return (input, init) => {
    const req = new Request(input, init);
    return handleClsRequest(deps, req, new URL(req.url), noTimeout);
  };
}
