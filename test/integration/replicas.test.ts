/**
 * Replicas: exporter processes of one org on one real PostgreSQL database, against the simulator.
 * One leader calls CLS (the simulator counts what one exporter would cost), writes, and pushes
 * OTLP; the others serve its snapshots, the same numbers. The leader killed with -9, its session
 * ended with pg_terminate_backend, the database stopped and started: one leader again, history
 * without gaps or overlaps. A replica finding a schema newer than its own follows and never leads.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { ENDPOINT_NAMES, type EndpointName } from "../../src/cls/endpoints.ts";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import { MIGRATIONS_TABLE } from "../../src/store/pg/migrate.ts";
import { OWNER_LOCK_CLASS } from "../../src/store/pg/owner.ts";
import { type PgServer, startPgServer } from "../pg/server.ts";
import { Harness, waitFor } from "./harness.ts";
import {
  dataLines,
  gapsAndOverlaps,
  KEY,
  metricsOf,
  onDb,
  type Replica,
  sameSnapshot,
  seriesValue,
  startReplica,
  storedAt,
  sumOf,
  theLeader,
} from "./replica-helpers.ts";

const harness = new Harness();
let sim: Simulator;
let server: PgServer;
const replicas: Replica[] = [];

beforeAll(async () => {
  sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: KEY, seed: 7 });
  server = startPgServer();
}, 120_000);
afterAll(async () => {
  await harness.cleanup();
  await Promise.all(replicas.map((r) => r.receiver.stop()));
  await sim.stop();
  server?.stop();
}, 60_000);

async function replica(db: string, name: string, env: Record<string, string> = {}): Promise<Replica> {
  const r = await startReplica(harness, sim, db, name, env);
  replicas.push(r);
  return r;
}

/** Lets the leader refresh `n` more times, the simulator's leases changing in between. */
async function leaderRefreshes(leader: Replica, n: number): Promise<void> {
  const count = () => (leader.proc.output().match(/msg="refresh succeeded"/g) ?? []).length;
  const target = count() + n;
  let seen = count();
  await waitFor(`${n} refreshes of ${leader.name}`, () => {
    const now = count();
    if (now > seen) {
      seen = now;
      sim.tick(2);
    }
    return now >= target ? true : undefined;
  });
}

const stop = async (rs: Replica[]) => {
  for (const r of rs) await r.proc.stop();
};

test("two, then three replicas: one leader calls CLS for all, every replica serves the same numbers, OTLP comes from the leader only", async () => {
  const db = await server.createDatabase("three_replicas");
  sim.resetStats();
  const group = [await replica(db, "replica-a"), await replica(db, "replica-b")];
  const leader = await theLeader(group);
  await leaderRefreshes(leader, 3);
  group.push(await replica(db, "replica-c"));
  await leaderRefreshes(leader, 3);
  expect(await theLeader(group)).toBe(leader);

  const texts = await sameSnapshot(group);
  for (const t of texts) expect(dataLines(t)).toEqual(dataLines(texts[0]!));
  expect(seriesValue(texts[0]!, "nvidia_cls_up")).toBe(1);
  for (const [i, r] of group.entries()) {
    const calls = sumOf(texts[i]!, "nvidia_cls_api_requests_total");
    if (r === leader) {
      // Every call CLS saw was the leader's: N replicas cost what one does.
      expect(calls).toBe(sim.stats().total);
      expect(r.receiver.pushes.length).toBeGreaterThan(0);
    } else {
      expect(calls).toBe(0);
      expect(seriesValue(texts[i]!, "nvidia_cls_leader")).toBe(0);
      expect(r.receiver.pushes).toHaveLength(0);
      expect(r.proc.output()).toContain('msg="following the org\'s leader"');
    }
  }
  // The leader's last success, shown by every replica.
  const successes = new Set(texts.map((t) => seriesValue(t, "nvidia_cls_last_success_timestamp_seconds")));
  expect(successes.size).toBe(1);

  // The loss of a follower changes nothing for the others: the same leader goes on writing.
  const lost = group.find((r) => r !== leader)!;
  lost.proc.proc.kill("SIGKILL");
  await lost.proc.proc.exited;
  const left = group.filter((r) => r !== lost);
  const before = await storedAt(db);
  await leaderRefreshes(leader, 2);
  expect(await storedAt(db)).toBeGreaterThan(before);
  expect(await theLeader(left)).toBe(leader);
  await sameSnapshot(left);
  await stop(group);
}, 120_000);

test("kill -9 of the leader: a follower leads within 15 s and the history goes on without a gap", async () => {
  const db = await server.createDatabase("failover");
  const group = [await replica(db, "fo-a"), await replica(db, "fo-b")];
  const leader = await theLeader(group);
  const follower = group.find((r) => r !== leader)!;
  await leaderRefreshes(leader, 4);
  const startS = Math.floor(Date.now() / 1000) - 60;
  const before = await storedAt(db);
  const trendBefore = await trend(follower, startS);

  const killedAt = Date.now();
  leader.proc.proc.kill("SIGKILL");
  await follower.proc.waitForLine(/msg="this exporter leads its org/, { timeoutMs: 15_000 });
  const takeoverMs = Date.now() - killedAt;
  await waitFor("a write by the new leader", async () => ((await storedAt(db)) > before ? true : undefined));
  await leaderRefreshes(follower, 2);
  console.log(`takeover after kill -9: ${takeoverMs} ms`);

  expect(await gapsAndOverlaps(db, startS)).toEqual({ gaps: 0, overlaps: 0 });
  const text = await metricsOf(follower);
  expect(seriesValue(text, "nvidia_cls_leader")).toBe(1);
  expect(seriesValue(text, "nvidia_cls_up")).toBe(1);
  // /history reads one trend across the failover: what it said before, then on without a missing second.
  const trendAfter = await trend(follower, startS);
  expect(trendAfter.length).toBe(trendBefore.length);
  for (const [i, after] of trendAfter.entries()) {
    const before = trendBefore[i]!;
    expect(after.slice(0, before.length - 1)).toEqual(before.slice(0, -1));
    expect(after.at(-1)![0]).toBeGreaterThan(Math.floor(killedAt / 1000));
    for (let k = 1; k < after.length; k++) expect([k, after[k]![0] - after[k - 1]![0]]).toEqual([k, 1]);
  }
  await stop(group);
}, 120_000);

/** Each org-wide seats-in-use series from `fromS` as [t, last] per second, as a replica's /history gives it. */
async function trend(r: Replica, fromS: number): Promise<[number, number][][]> {
  const res = await fetch(`${r.url}/history?kind=feature_in_use&scope=org&from=${fromS}&step=1s`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { series: { labels: Record<string, string>; points: { t: string; last: number }[] }[] };
  expect(body.series.length).toBeGreaterThan(0);
  return body.series.map((s) => s.points.map((p): [number, number] => [Date.parse(p.t) / 1000, p.last]));
}

test("the leader's session ended by pg_terminate_backend: it stops writing, one leader again, no double rows", async () => {
  const db = await server.createDatabase("terminated");
  const group = [await replica(db, "term-a"), await replica(db, "term-b")];
  const leader = await theLeader(group);
  await leaderRefreshes(leader, 3);
  const startS = Math.floor(Date.now() / 1000) - 60;
  const [holder] = await onDb<{ pid: number }>(
    db,
    `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = ${OWNER_LOCK_CLASS}::oid AND objsubid = 2 AND granted`,
  );
  await onDb(db, `SELECT pg_terminate_backend(${holder!.pid})`);
  await leader.proc.waitForLine(/msg="history database not reachable: this exporter writes nothing/);
  // Serving throughout: the old leader refreshes CLS for its own /metrics.
  expect(seriesValue(await metricsOf(leader), "nvidia_cls_leader")).toBe(0);
  const next = await theLeader(group);
  const before = await storedAt(db);
  await leaderRefreshes(next, 3);
  expect(await storedAt(db)).toBeGreaterThan(before);
  // No double rows: (series, start) is the key, so two writers would show as overlapping runs.
  expect(await gapsAndOverlaps(db, startS)).toEqual({ gaps: 0, overlaps: 0 });
  await stop(group);
}, 120_000);

test("PostgreSQL stopped and started again: every replica serves throughout, then one leader writes again", async () => {
  const db = await server.createDatabase("outage");
  const group = [await replica(db, "out-a"), await replica(db, "out-b")];
  const leader = await theLeader(group);
  const follower = group.find((r) => r !== leader)!;
  await leaderRefreshes(leader, 3);

  server.pause();
  try {
    await leader.proc.waitForLine(/msg="history database not reachable: this exporter writes nothing/);
    await follower.proc.waitForLine(/msg="history database not reachable: serving the leader's last snapshot/);
    // Cut off for longer than CACHE_TTL (2 s), the follower refreshes CLS itself.
    await follower.proc.waitForLine(/msg="refresh succeeded"/, { timeoutMs: 20_000 });
    for (const r of group) {
      const text = await metricsOf(r);
      expect(seriesValue(text, "nvidia_cls_up")).toBe(1);
      expect(seriesValue(text, "nvidia_cls_leader")).toBe(0);
    }
  } finally {
    server.resume();
  }
  const next = await theLeader(group, 30_000);
  const before = await storedAt(db);
  await leaderRefreshes(next, 2);
  expect(await storedAt(db)).toBeGreaterThan(before);
  // The outage is a gap; two writers would show as overlapping runs.
  expect((await gapsAndOverlaps(db, 0)).overlaps).toBe(0);
  await stop(group);
}, 120_000);

test("a replica finding a schema newer than its own follows the leader's snapshots, never leads, and refreshes CLS itself once no leader writes", async () => {
  const db = await server.createDatabase("two_versions");
  const newer = await replica(db, "newer");
  await newer.proc.waitForLine(/msg="this exporter leads its org/);
  await leaderRefreshes(newer, 2);
  // What a later version's migration leaves: a migration this version does not know.
  await onDb(db, `INSERT INTO ${MIGRATIONS_TABLE} (hash, created_at) VALUES ('a-later-version', 9999999999999)`);
  const older = await replica(db, "older");
  await older.proc.waitForLine(/schema is newer than this exporter's/);
  await older.proc.waitForLine(/msg="following the org's leader"/);
  const [a, b] = await sameSnapshot([newer, older]);
  expect(dataLines(b!)).toEqual(dataLines(a!));
  expect(seriesValue(b!, "nvidia_cls_leader")).toBe(0);

  newer.proc.proc.kill("SIGKILL");
  await newer.proc.proc.exited;
  // Several election rounds with the lock free: the older version still does not take it, and once
  // no leader has written for two cache lifetimes and more it refreshes CLS itself, writing nothing.
  await older.proc.waitForLine(/msg="no new snapshot from the org's leader: this replica refreshes CLS itself/);
  await older.proc.waitForLine(/msg="refresh succeeded"/);
  const text = await metricsOf(older);
  expect(seriesValue(text, "nvidia_cls_leader")).toBe(0);
  expect(seriesValue(text, "nvidia_cls_up")).toBe(1);
  expect(older.proc.output()).not.toContain("this exporter leads its org");
  await stop([older]);
}, 120_000);

/** Every CLS call answered 503. */
const clsDown = () =>
  sim.setFaults([...ENDPOINT_NAMES, "virtual_group"].map((endpoint) => ({ endpoint: endpoint as EndpointName, status: 503 })));

test("CLS down entirely: the leader serves up 0 with the data it had, and so does every follower", async () => {
  const db = await server.createDatabase("cls_down");
  const group = [await replica(db, "down-a"), await replica(db, "down-b")];
  const leader = await theLeader(group);
  await leaderRefreshes(leader, 2);
  clsDown();
  try {
    await waitFor("up 0 on every replica", async () => {
      const texts = await Promise.all(group.map(metricsOf));
      return texts.every((t) => seriesValue(t, "nvidia_cls_up") === 0) ? texts : undefined;
    });
    const texts = await sameSnapshot(group);
    expect(dataLines(texts[1]!)).toEqual(dataLines(texts[0]!));
  } finally {
    sim.clearFaults();
  }
  await stop(group);
}, 120_000);

test("a takeover while CLS is down: the new leader serves the last stored snapshot and deletes no history", async () => {
  const db = await server.createDatabase("down_takeover");
  const first = await replica(db, "dt-a");
  await theLeader([first]);
  await leaderRefreshes(first, 2);
  const second = await replica(db, "dt-b");
  // Longer than the gap that joins rows (15 s here) after the follower started: what it restored then is old news.
  await leaderRefreshes(first, 9);
  const rows = await onDb<{ n: number }>(db, "SELECT count(*)::int AS n FROM samples");
  const servedBefore = seriesValue(await metricsOf(second), "nvidia_cls_scrape_timestamp_seconds")!;
  clsDown();
  try {
    first.proc.proc.kill("SIGKILL");
    await second.proc.waitForLine(/msg="this exporter leads its org/, { timeoutMs: 15_000 });
    await second.proc.waitForLine(/msg="refresh failed"/);
    await waitFor("up 0 on the new leader", async () => (seriesValue(await metricsOf(second), "nvidia_cls_up") === 0 ? true : undefined));
    const text = await metricsOf(second);
    expect(seriesValue(text, "nvidia_cls_scrape_timestamp_seconds")).toBeGreaterThanOrEqual(servedBefore);
    expect((await onDb<{ n: number }>(db, "SELECT count(*)::int AS n FROM samples"))[0]!.n).toBeGreaterThanOrEqual(rows[0]!.n);
    expect(second.proc.output()).not.toContain("the clock went back");
  } finally {
    sim.clearFaults();
  }
  await stop([first, second]);
}, 120_000);
