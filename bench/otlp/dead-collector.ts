/**
 * Parts 2 and 3 of bench/otlp.ts push to a dead collector: the exporter process with push off,
 * pushing every 1 s to a closed port ("refused") and to a TCP listener that accepts and never
 * answers ("black-holed"). Here: the variants, the exporter process, and the proof that it pushed.
 */

import { type ExporterProcess, startExporter } from "../lib/exporter.ts";
import { byLabel, sampleOf } from "../lib/exposition.ts";
import { freePort } from "../lib/processes.ts";

export const VARIANTS = ["off", "refused", "black-holed"] as const;
export type Variant = (typeof VARIANTS)[number];

/** Where the exporter processes find CLS: the simulator of the run. */
export interface ClsTarget {
  url: string;
  orgName: string;
}

/** Accepts TCP connections on 127.0.0.1 and never answers: the gRPC handshake hangs until the deadline. */
export function blackHole() {
  const conns = { opened: 0, open: 0 };
  const server = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open: () => {
        conns.opened++;
        conns.open++;
      },
      close: () => {
        conns.open--;
      },
      data() {},
    },
  });
  return { port: server.port, conns, stop: () => server.stop(true) };
}
export type BlackHole = ReturnType<typeof blackHole>;

/** The exporter's env of each variant. */
export function variantEnvs(hole: BlackHole): Record<Variant, Record<string, string>> {
  const pushing = (port: number) => ({ OTEL_ENABLED: "true", OTEL_PUSH_INTERVAL: "1s", OTEL_ENDPOINT: `127.0.0.1:${port}` });
  return { off: { OTEL_ENABLED: "false" }, refused: pushing(freePort()), "black-holed": pushing(hole.port) };
}

export interface LoggedExporter extends ExporterProcess {
  /** Every line it logged: the pusher's warnings must be seen, not drained. */
  log: string[];
  stop: () => Promise<void>;
}

/** The exporter process of one run, its whole log kept. */
export async function startLoggedExporter(clsUrl: string, orgName: string, env: Record<string, string>): Promise<LoggedExporter> {
  const log: string[] = [];
  const e = await startExporter(clsUrl, orgName, env, { onLine: (line) => log.push(line) });
  // SIGKILL: shutdown (a final push that may wait 2 × 3 s on the black hole) is not measured here.
  const stop = async () => {
    e.child.kill("SIGKILL");
    await e.child.exited;
  };
  return { ...e, log, stop };
}

export const warningsIn = (log: string[]) => log.filter((l) => /level=(warn|error)/.test(l));

export interface Counters {
  exports: number;
  failures: Record<string, number>;
}

/** The pusher's own counters from /metrics: proof that it really pushed. */
export async function otlpCounters(url: string): Promise<Counters> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const reasons = byLabel(text, "nvidia_cls_otlp_export_failures_total", "reason");
  const failures = Object.fromEntries(Object.entries(reasons).filter(([, n]) => n > 0));
  return { exports: sampleOf(text, "nvidia_cls_otlp_exports_total") ?? 0, failures };
}

const failedPushes = (c: Counters) => Object.values(c.failures).reduce((a, b) => a + b, 0);

/** Fails loudly unless a pushing variant counted more failed pushes at the end than at the start. */
export function checkPushed(variant: Variant, before: Counters, after: Counters): void {
  if (variant === "off") {
    if (after.exports !== 0) throw new Error(`push is off but the exporter counted ${after.exports} pushes`);
    return;
  }
  if (!(failedPushes(after) > failedPushes(before)))
    throw new Error(
      `${variant}: nvidia_cls_otlp_export_failures_total did not grow (${JSON.stringify(before)} → ${JSON.stringify(after)}); the exporter did not push`,
    );
  if (after.exports - failedPushes(after) > 1)
    throw new Error(`${variant}: pushes succeeded against a dead collector: ${JSON.stringify(after)}`);
}

/**
 * The counters once a failure was counted after `before`: a black-holed push only fails at its
 * 10 s deadline, which a short run (small --duration) may not reach by itself. The wait is not measured.
 */
export async function countersAfterAFailure(url: string, variant: Variant, before: Counters): Promise<Counters> {
  const until = performance.now() + 15_000;
  for (;;) {
    const now = await otlpCounters(url);
    if (variant === "off" || failedPushes(now) > failedPushes(before) || performance.now() > until) return now;
    await Bun.sleep(500);
  }
}
