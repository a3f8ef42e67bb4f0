/** Part 2 of bench/otlp.ts: /metrics req/s (wrk) of the exporter process while it pushes to a dead collector. */

import { fixed } from "../lib/format.ts";
import { progressOf } from "../lib/report.ts";
import { wrk } from "../lib/wrk.ts";
import {
  type ClsTarget,
  type Counters,
  checkPushed,
  countersAfterAFailure,
  otlpCounters,
  startLoggedExporter,
  VARIANTS,
  type Variant,
  warningsIn,
} from "./dead-collector.ts";
import type { OtlpOptions } from "./options.ts";

const progress = progressOf("otlp");

export interface RunResult {
  gzip: number;
  plain: number;
  counters: Counters;
  seconds: number;
  warnings: string[];
}

/** Spawn, first refresh, 2 s warm-up (the first pushes go out meanwhile), wrk gzip and plain, stop. */
async function run(env: Record<string, string>, variant: Variant, cls: ClsTarget, gzipFirst: boolean, o: OtlpOptions): Promise<RunResult> {
  const t0 = performance.now();
  const e = await startLoggedExporter(cls.url, cls.orgName, env);
  const url = `${e.url}/metrics`;
  const load = (gzip: boolean, seconds: number) => wrk(url, { gzip, seconds, connections: o.connections });
  await load(true, 2);
  const before = await otlpCounters(e.url);
  const got: Record<string, number> = {};
  for (const gz of gzipFirst ? [true, false] : [false, true]) got[gz ? "gzip" : "plain"] = (await load(gz, o.duration)).rps;
  const after = await countersAfterAFailure(e.url, variant, before);
  const seconds = (performance.now() - t0) / 1000;
  await e.stop();
  checkPushed(variant, before, after);
  return { gzip: got.gzip!, plain: got.plain!, counters: after, seconds, warnings: warningsIn(e.log) };
}

/** Rounds of the three variants; each round starts one later in the list and every other round runs backwards. */
function orderFor(round: number): Variant[] {
  const rotated = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]!);
  return round % 2 ? rotated.reverse() : rotated;
}

/** One exporter at a time, the order rotated per round. */
export async function metricsUnderPush(
  envs: Record<Variant, Record<string, string>>,
  cls: ClsTarget,
  o: OtlpOptions,
): Promise<Record<Variant, RunResult[]>> {
  const runs: Record<Variant, RunResult[]> = { off: [], refused: [], "black-holed": [] };
  for (let r = 0; r < o.rounds; r++) {
    const order = orderFor(r);
    for (const v of order) {
      const res = await run(envs[v], v, cls, r % 2 === 0, o);
      runs[v].push(res);
      progress(
        `round ${r + 1} ${order.join("→")}: ${v} gzip ${fixed(res.gzip, 0)} req/s, plain ${fixed(res.plain, 0)} req/s, pushes ${res.counters.exports}, failures ${JSON.stringify(res.counters.failures)} in ${fixed(res.seconds, 1)} s`,
      );
    }
  }
  return runs;
}
