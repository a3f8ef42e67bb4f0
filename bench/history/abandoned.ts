/**
 * /history queries abandoned by their client: `--abandon` heavy queries (the default /history of
 * an org of `--series` series, every series changing every minute for `--minutes`) are sent over
 * 127.0.0.1, their clients disconnect once the first is being read, and a small query (one series)
 * is sent at once. Measured per round: the CPU the process spends from the disconnect until the
 * store is idle again (small query included), the series read in that time, and the small query's
 * latency; medians over `--rounds`. Alone, for scale: one heavy and one small query.
 *
 *   bun run bench/history/abandoned.ts [--series 5000] [--minutes 240] [--abandon 20] [--rounds 5]
 *
 * Exporter and clients share this process (in-process app, real Bun.serve and fetch): the CPU
 * figure is the whole process's, which after the disconnect is the server's.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadConfig } from "../../src/config/index.ts";
import { createExporter } from "../../src/context.ts";
import { silentLogger } from "../../src/log.ts";
import { HistoryStore } from "../../src/store/index.ts";
import { fixed, int, ms } from "../lib/format.ts";
import { machineNotes, progressOf } from "../lib/report.ts";
import { median } from "../lib/statistics.ts";
import { recordChurningOrg, tempFolder } from "./abandoned-org.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: { series: { type: "string" }, minutes: { type: "string" }, abandon: { type: "string" }, rounds: { type: "string" } },
});
const o = {
  series: Number(values.series ?? 5_000),
  minutes: Number(values.minutes ?? 240),
  abandon: Number(values.abandon ?? 20),
  rounds: Number(values.rounds ?? 5),
};
const progress = progressOf("history-abandoned");
const ORG = "bench-abandoned-org";
const NOW_S = Math.floor(Date.now() / 1000);
const tmp = tempFolder();
process.on("exit", tmp.cleanup);

const store = new HistoryStore({
  path: join(tmp.dir, "h.db"),
  orgName: ORG,
  maxGapS: 130,
  rawRetentionS: 8 * 86_400,
  retentionS: 400 * 86_400,
  now: () => NOW_S * 1000,
  log: silentLogger,
});
progress(`writing ${int(o.series)} series × ${o.minutes} minutes`);
recordChurningOrg(store, o.series, o.minutes, NOW_S);
const config = loadConfig({
  env: { NVIDIA_API_KEY: "k", NVIDIA_ORG_NAME: ORG, NVIDIA_API_BASE_URL: "http://127.0.0.1:9" },
  argv: [],
  readFile: () => "",
});
const { app } = createExporter(config, {
  fetch: () => Promise.reject(new Error("offline")),
  now: () => NOW_S * 1000,
  log: silentLogger,
  build: { version: "bench", revision: "bench", bunVersion: Bun.version },
  history: store,
});
const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: app.fetch, development: false });
const base = `http://127.0.0.1:${server.port}/history`;
const SMALL = `${base}?server_id=s1&feature_name=vpc`;
const cpuS = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function timed(url: string): Promise<number> {
  const t = performance.now();
  const res = await fetch(url);
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
  return performance.now() - t;
}

/** Waits until no series was read for 200 ms. */
async function idle(): Promise<void> {
  for (let seen = -1; seen !== store.stats.seriesRead; ) {
    seen = store.stats.seriesRead;
    await Bun.sleep(200);
  }
}

async function round(): Promise<{ cpuS: number; series: number; smallMs: number }> {
  const read = store.stats.seriesRead;
  const clients = Array.from({ length: o.abandon }, () => new AbortController());
  const sent = clients.map((c) => fetch(base, { signal: c.signal }).catch(() => undefined));
  while (store.stats.seriesRead === read) await Bun.sleep(1);
  const [cpu0, read0] = [cpuS(), store.stats.seriesRead];
  for (const c of clients) c.abort();
  const smallMs = await timed(SMALL);
  await Promise.all(sent);
  await idle();
  return { cpuS: cpuS() - cpu0, series: store.stats.seriesRead - read0, smallMs };
}

const heavyAlone = [await timed(base), await timed(base), await timed(base)];
const smallAlone = [await timed(SMALL), await timed(SMALL), await timed(SMALL)];
const rounds = [];
for (let i = 0; i < o.rounds; i++) {
  rounds.push(await round());
  progress(`round ${i + 1}: ${fixed(rounds.at(-1)!.cpuS, 3)} CPU-s, ${rounds.at(-1)!.series} series, small ${ms(rounds.at(-1)!.smallMs)}`);
}
server.stop(true);
store.close();
const q = Object.fromEntries(store.stats.queries);

console.log(`| ${int(o.series)} series × ${o.minutes} min, ${o.abandon} heavy queries abandoned, ${o.rounds} rounds | median |`);
console.log("|---|---|");
console.log(`| one heavy query alone (default /history, ${int(o.series)} series) | ${ms(median(heavyAlone))} |`);
console.log(`| one small query alone (one series) | ${ms(median(smallAlone))} |`);
console.log(`| CPU spent from the disconnect until idle (small query included) | ${fixed(median(rounds.map((r) => r.cpuS)), 3)} s |`);
console.log(`| series read after the disconnect (one heavy query reads ${int(o.series)}) | ${int(median(rounds.map((r) => r.series)))} |`);
console.log(`| small query sent right after the disconnect | ${ms(median(rounds.map((r) => r.smallMs)))} |`);
console.log(`\nQuery outcomes: ${JSON.stringify(q)}\n\n${machineNotes()}`);
