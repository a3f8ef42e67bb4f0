/**
 * Exporter replicas on one real PostgreSQL database (test/pg/server.ts) against the simulator, for
 * replicas.test.ts: start them, read their metrics, find the leader, read the shared tables.
 */
import { expect } from "bun:test";
import postgres from "postgres";
import type { Simulator } from "../../src/sim/server.ts";
import { type Harness, type Proc, waitFor } from "./harness.ts";
import { type Receiver, startReceiver } from "./otlp-receiver.ts";

export const KEY = "replica-test-key-3b9e";

export interface Replica {
  name: string;
  proc: Proc;
  url: string;
  /** This replica's own OTLP receiver: pushes from it alone arrive there. */
  receiver: Receiver;
}

/** A replica of the simulator's org on `dbUrl`; refreshes every CACHE_TTL (2 s unless given). */
export async function startReplica(
  harness: Harness,
  sim: Simulator,
  dbUrl: string,
  name: string,
  env: Record<string, string> = {},
): Promise<Replica> {
  const receiver = await startReceiver();
  const proc = harness.spawn(name, [process.execPath, "run", "src/index.ts"], {
    NVIDIA_API_KEY: KEY,
    NVIDIA_ORG_NAME: sim.orgName,
    NVIDIA_API_BASE_URL: sim.url,
    DATABASE_URL: dbUrl,
    LISTEN_ADDRESS: "127.0.0.1:0",
    // Each refresh's outcome line is at debug: the tests count them.
    LOG_LEVEL: "debug",
    CACHE_TTL: "2s",
    SCRAPE_TIMEOUT: "5s",
    OTEL_ENABLED: "true",
    OTEL_ENDPOINT: `127.0.0.1:${receiver.port}`,
    OTEL_PUSH_INTERVAL: "1s",
    ...env,
  });
  const m = await proc.waitForLine(/msg=listening url=(http:\/\/\S+)/);
  return { name, proc, url: m[1]!, receiver };
}

export async function metricsOf(r: Replica): Promise<string> {
  // A replica that died says why (its exit and last output), rather than a refused connection.
  r.proc.assertAlive();
  const res = await fetch(`${r.url}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

/** The value of a series without labels other than org_name, or undefined when absent. */
export function seriesValue(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

/** Sum of every series of a family (all label sets). */
export function sumOf(text: string, name: string): number {
  return text
    .split("\n")
    .filter((l) => l.startsWith(`${name}{`))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
}

/** The series that come from CLS data (what every replica must serve alike), sorted. */
export function dataLines(text: string): string[] {
  const data =
    /^nvidia_cls_(up|scrape_(duration|timestamp)_seconds|last_success_timestamp_seconds|entitlement_|product_key_|license_|feature_|unattributed_|invalid_items)/;
  return text
    .split("\n")
    .filter((l) => data.test(l))
    .sort();
}

/** Waits until exactly one of `replicas` says nvidia_cls_leader 1; returns it. */
export async function theLeader(replicas: Replica[], timeoutMs = 15_000): Promise<Replica> {
  return waitFor(
    "exactly one leader",
    async () => {
      const leading: Replica[] = [];
      for (const r of replicas) if (seriesValue(await metricsOf(r), "nvidia_cls_leader") === 1) leading.push(r);
      return leading.length === 1 ? leading[0] : undefined;
    },
    { timeoutMs },
  );
}

/** Waits until every replica serves the same snapshot (same scrape timestamp); returns their /metrics bodies. */
export async function sameSnapshot(replicas: Replica[]): Promise<string[]> {
  return waitFor("every replica serving the same snapshot", async () => {
    const texts = await Promise.all(replicas.map(metricsOf));
    const stamps = new Set(texts.map((t) => seriesValue(t, "nvidia_cls_scrape_timestamp_seconds")));
    return stamps.size === 1 && !stamps.has(undefined) ? texts : undefined;
  });
}

/** Runs `text` on the database at `url`. */
export async function onDb<T>(url: string, text: string): Promise<T[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return (await sql.unsafe(text)) as unknown as T[];
  } finally {
    await sql.end();
  }
}

/**
 * Rows of one series that leave a gap after the previous row (history not continuous) or overlap
 * it (two writers): both must stay zero through a failover.
 */
export async function gapsAndOverlaps(url: string, sinceS: number): Promise<{ gaps: number; overlaps: number }> {
  const [row] = await onDb<{ gaps: number; overlaps: number }>(
    url,
    `SELECT count(*) FILTER (WHERE start > prev_end)::int AS gaps, count(*) FILTER (WHERE start < prev_end)::int AS overlaps
       FROM (SELECT start, lag("end") OVER (PARTITION BY series_id ORDER BY start) AS prev_end FROM samples) runs
      WHERE prev_end IS NOT NULL AND start >= ${sinceS}`,
  );
  return row!;
}

/** The newest snapshot's collected_at in the shared tables (seconds), 0 when none. */
export async function storedAt(url: string): Promise<number> {
  const [row] = await onDb<{ at: string | null }>(url, "SELECT max(collected_at)::text AS at FROM snapshots");
  return Number(row?.at ?? 0);
}
