/**
 * What the history fault tests read from a running exporter (metrics, /history, its log) and from
 * the simulator (ground truth), kept out of the test files so each test reads as its scenario.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import type { Simulator } from "../../src/sim/server.ts";
import type { Exporter, Proc } from "./harness.ts";

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition (comments skipped, label escapes undone). */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = JSON.parse(`"${l[2]!}"`) as string;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** GET /metrics, which must answer 200 whatever happens to the history database. */
export async function scrape(e: Exporter): Promise<Sample[]> {
  const res = await fetch(`${e.url}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return parseMetrics(await res.text());
}

/** The value of the one sample of `name` whose labels include `labels`, or undefined. */
export function sampleValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const hits = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (hits.length > 1) throw new Error(`${hits.length} samples of ${name}${JSON.stringify(labels)}`);
  return hits[0]?.value;
}

export const writeErrors = (samples: Sample[], reason: string) =>
  sampleValue(samples, "nvidia_cls_history_write_errors_total", { reason }) ?? 0;

/** "server_id feature_name" → active leases, as the exporter serves them. */
export function servedLeases(samples: Sample[]): Record<string, number> {
  return keyed(
    samples
      .filter((s) => s.name === "nvidia_cls_license_server_feature_active_leases")
      .map((s) => [s.labels.server_id!, s.labels.feature_name!, s.value]),
  );
}

/** "server_id feature_name" → active leases, as the simulator says they are. */
export function expectedLeases(sim: Simulator): Record<string, number> {
  return keyed(sim.expected().serverFeatures.map((f) => [f.serverId, f.featureName, f.activeLeases]));
}

function keyed(rows: [string, string, number][]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [server, feature, value] of rows) {
    const key = `${server} ${feature}`;
    if (key in out) throw new Error(`two series for ${key}`);
    out[key] = value;
  }
  return out;
}

/** Churns the simulator until some server feature's active leases differ from now (a tick may add and remove alike). */
export function churn(sim: Simulator): Record<string, number> {
  const before = expectedLeases(sim);
  for (let i = 0; i < 100 && Bun.deepEquals(expectedLeases(sim), before); i++) sim.tick(3);
  const after = expectedLeases(sim);
  if (Bun.deepEquals(after, before)) throw new Error("100 churn ticks changed no active lease count");
  return after;
}

export interface HistoryAnswer {
  status: number;
  body: {
    error?: string;
    reason?: string;
    detail?: string;
    series?: { labels: Record<string, string>; points: { t: string; last: number }[] }[];
  };
}

export async function getHistory(e: Exporter, query = "from=-1h&step=1s"): Promise<HistoryAnswer> {
  const res = await fetch(`${e.url}/history?${query}`);
  return { status: res.status, body: (await res.json()) as HistoryAnswer["body"] };
}

/** "server_id feature_name" → the first or the last point's value of each series in a /history answer. */
export function historyValues(h: HistoryAnswer, which: "first" | "last"): Record<string, number> {
  return Object.fromEntries(
    (h.body.series ?? []).map((s) => [
      `${s.labels.server_id} ${s.labels.feature_name}`,
      (which === "first" ? s.points[0] : s.points.at(-1))!.last,
    ]),
  );
}

/** The exporter's `history not recorded` error lines (one is expected per cause). */
export const notRecordedLines = (p: Proc) =>
  p
    .output()
    .split("\n")
    .filter((l) => l.includes('msg="history not recorded'));

const sha256 = (path: string) => (existsSync(path) ? createHash("sha256").update(readFileSync(path)).digest("hex") : "absent");

/**
 * sha256 of a database file and of its -wal, and the names in its folder: "not altered" means all
 * stay the same. (The -shm is SQLite's shared-memory index, rebuilt by any reader: not content.)
 */
export function fingerprint(path: string): { file: string; wal: string; folder: string[] } {
  const folder = readdirSync(path.slice(0, path.lastIndexOf("/"))).sort();
  return { file: sha256(path), wal: sha256(`${path}-wal`), folder };
}

/** Environment for an exporter against `sim`, refreshing every second so several refreshes fit in a test. */
export function exporterEnv(sim: Simulator, apiKey: string, dbPath: string): Record<string, string> {
  return {
    NVIDIA_API_KEY: apiKey,
    NVIDIA_ORG_NAME: sim.orgName,
    NVIDIA_API_BASE_URL: sim.url,
    CACHE_TTL: "1s",
    SCRAPE_TIMEOUT: "5s",
    DB_PATH: dbPath,
  };
}
