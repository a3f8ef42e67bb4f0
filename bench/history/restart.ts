/**
 * Spawn to the first stale /metrics of a restart on the written file: `bun run src/index.ts` until a
 * GET /metrics answers with `nvidia_cls_up 0` and a restored series, against a bare Bun.serve and
 * `bun -e 0` for context, rounds in alternating order on a fresh port each.
 */

import { exporterEntry } from "../lib/exporter.ts";
import { ms, verdict } from "../lib/format.ts";
import { drain, firstLine, freePort, spawnChild } from "../lib/processes.ts";
import { progressOf } from "../lib/report.ts";
import { API_KEY } from "../lib/simulator.ts";
import { median } from "../lib/statistics.ts";
import { ORG, TARGETS } from "./options.ts";
import { historyExporterEnv } from "./query.ts";

const progress = progressOf("history");

interface StartResult {
  totalMs: number;
  listenMs: number;
  series: number;
}

export interface Restarts {
  year: StartResult[];
  small: StartResult[];
  serve: number[];
  bare: number[];
}

/** What a restart must serve: `nvidia_cls_up 0` and the restored series of the busy server. */
export interface RestartTarget {
  closedPort: number;
  busyServerId: string;
}

const UP_LINE = `nvidia_cls_up{org_name="${ORG}"} 0`;

async function pollUntil(port: number, path: string, ok: (body: string) => boolean, started: number, limitMs: number) {
  for (;;) {
    if (performance.now() - started > limitMs) throw new Error(`no good answer on :${port}${path} within ${limitMs} ms`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2_000) });
      const body = await res.text();
      if (res.status === 200 && ok(body)) return { at: performance.now(), body };
    } catch {
      // Not listening yet.
    }
    await Bun.sleep(5);
  }
}

async function startExporterOnce(dbPath: string, t: RestartTarget): Promise<StartResult> {
  const port = freePort();
  const env = {
    NVIDIA_API_KEY: API_KEY,
    NVIDIA_ORG_NAME: ORG,
    LISTEN_ADDRESS: `127.0.0.1:${port}`,
    ...historyExporterEnv(t.closedPort, dbPath),
  };
  const restored = (body: string) =>
    body
      .split("\n")
      .some((l) => l.startsWith("nvidia_cls_license_server_feature_active_leases{") && l.includes(`server_id="${t.busyServerId}"`));
  const started = performance.now();
  const child = spawnChild([process.execPath, "run", exporterEntry()], env);
  drain(child.stdout);
  let listenAt = Number.NaN;
  const listening = (line: string) => (line.includes("msg=listening") ? performance.now() : undefined);
  void firstLine(child.stderr, listening, { timeoutMs: 20_000 })
    .then((at) => {
      listenAt = at;
    })
    .catch(() => {});
  try {
    const got = await pollUntil(port, "/metrics", (b) => b.includes(UP_LINE) && restored(b), started, 15_000);
    return {
      totalMs: got.at - started,
      listenMs: listenAt - started,
      series: got.body.split("\n").filter((l) => l.startsWith("nvidia_cls_")).length,
    };
  } finally {
    child.kill();
    await child.exited;
  }
}

async function startBareServe(): Promise<number> {
  const port = freePort();
  const started = performance.now();
  const child = spawnChild([
    process.execPath,
    "-e",
    `Bun.serve({ hostname: "127.0.0.1", port: ${port}, fetch: () => new Response("ok") })`,
  ]);
  drain(child.stdout);
  drain(child.stderr);
  try {
    return (await pollUntil(port, "/", (b) => b === "ok", started, 15_000)).at - started;
  } finally {
    child.kill();
    await child.exited;
  }
}

async function bareBun(): Promise<number> {
  const started = performance.now();
  const child = spawnChild([process.execPath, "-e", "0"]);
  drain(child.stdout);
  drain(child.stderr);
  await child.exited;
  return performance.now() - started;
}

/** `rounds` rounds of each process, the order reversed every other round; `smallDb` is measured when given. */
export async function measureRestarts(db: string, smallDb: string | undefined, t: RestartTarget, rounds: number): Promise<Restarts> {
  const restarts: Restarts = { year: [], small: [], serve: [], bare: [] };
  progress(`restarts: ${rounds} rounds of exporter (year DB)${smallDb ? ", exporter (1-day DB)" : ""}, bare Bun.serve, bun -e 0`);
  // One unmeasured start first, so every measured run finds Bun's transpiler cache and the file in the page cache alike.
  await startExporterOnce(db, t);
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? ["year", "small", "serve", "bare"] : ["bare", "serve", "small", "year"];
    for (const which of order) {
      if (which === "year") restarts.year.push(await startExporterOnce(db, t));
      if (which === "small" && smallDb) restarts.small.push(await startExporterOnce(smallDb, t));
      if (which === "serve") restarts.serve.push(await startBareServe());
      if (which === "bare") restarts.bare.push(await bareBun());
    }
  }
  return restarts;
}

const range = (xs: number[]) => `${ms(median(xs), 0)} (${ms(Math.min(...xs), 0)}–${ms(Math.max(...xs), 0)})`;

export function reportRestarts(rs: Restarts, t: RestartTarget, labels: { year: string; small: string }, rounds: number): void {
  console.log(
    `### Spawn to the first stale /metrics after a restart (${rounds} runs each, alternating order, fresh port each; polled every 5 ms)\n`,
  );
  console.log(
    `Each exporter run counts from \`Bun.spawn\` of \`bun run src/index.ts\` until a GET /metrics answers 200 with \`${UP_LINE}\` and the restored series of server ${t.busyServerId.slice(0, 8)}…; "listening" is when its \`msg=listening\` line arrived.\n`,
  );
  console.log(
    "| process | spawn → first good answer, median (min–max) | spawn → `listening` line, median | nvidia_cls_* lines served | target < 300 ms |",
  );
  console.log("|---|---|---|---|---|");
  const row = (name: string, runs: StartResult[], judged: boolean) => {
    const totals = runs.map((r) => r.totalMs);
    const v = verdict(median(totals) < TARGETS.restartMs);
    console.log(
      `| ${name} | **${ms(median(totals), 0)}** (${ms(Math.min(...totals), 0)}–${ms(Math.max(...totals), 0)}) | ${ms(median(runs.map((r) => r.listenMs)), 0)} | ${runs[0]!.series} | ${judged ? `**${v}**` : `(${v})`} |`,
    );
  };
  row(labels.year, rs.year, true);
  if (rs.small.length) row(labels.small, rs.small, false);
  console.log(`| bare \`Bun.serve\` (\`bun -e\`), spawn → first 200 | ${range(rs.serve)} | – | – | context |`);
  console.log(`| \`bun -e 0\`, spawn → exit | ${range(rs.bare)} | – | – | context |\n`);
}
