/**
 * Idle RSS of a follower next to its leader's and a SQLite exporter's, on the memory gate's org
 * (bench/memory.ts): measured as (c) measures it (bench/memory-scenario.ts: the first refresh, 3
 * rounds of scrapes in every format, then idle, then /proc), CACHE_TTL 1h so nothing refreshes
 * meanwhile. Each run has a fresh database (PostgreSQL) or history file (SQLite).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import type { Simulator } from "../../src/sim/index.ts";
import type { PgServer } from "../../test/pg/server.ts";
import { startExporter } from "../lib/exporter.ts";
import { countSeries, sampleOf } from "../lib/exposition.ts";
import { memoryOf, scrapeRounds } from "../memory-scenario.ts";
import { type Replica, type ReplicaTarget, startReplica, stopReplica } from "./replica.ts";
import { sessionsOf } from "./sessions.ts";

export interface Idle {
  series: number;
  vmRss: number;
  vmHwm: number;
  /** VmRSS split: anonymous memory (heaps, buffers) and file-backed pages (the runtime's and the modules' code). */
  rssAnon: number;
  rssFile: number;
}

export interface MemoryRun {
  sqlite: Idle;
  leader: Idle;
  follower: Idle;
  /** What each session of the replica last ran on the database, read while idle. */
  leaderSessions: string[];
  followerSessions: string[];
}

/** Scrapes in every format, idle, then memory: one exporter as (c) measures it. */
async function idleOf(url: string, pid: number, idleMs: number): Promise<Idle> {
  const first = await scrapeRounds(url);
  await Bun.sleep(idleMs);
  const { VmRSS, VmHWM, RssAnon, RssFile } = await memoryOf(pid);
  return { series: countSeries(first), vmRss: VmRSS, vmHwm: VmHWM, rssAnon: RssAnon, rssFile: RssFile };
}

async function sqliteIdle(sim: Simulator, idleMs: number): Promise<Idle> {
  const dir = mkdtempSync(`${tmpdir()}/cls-replicas-`);
  try {
    const exporter = await startExporter(sim.url, sim.orgName, { DB_PATH: `${dir}/history.db` });
    const idle = await idleOf(exporter.url, exporter.pid, idleMs);
    exporter.child.kill();
    await exporter.child.exited;
    return idle;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Until the follower serves the leader's snapshot (same scrape timestamp, up 1), not the one it restored. */
async function servesLeaders(leader: Replica, follower: Replica): Promise<void> {
  const stampOf = async (r: Replica) => {
    const text = await (await fetch(`${r.exporter.url}/metrics`)).text();
    return sampleOf(text, "nvidia_cls_up") === 1 ? sampleOf(text, "nvidia_cls_scrape_timestamp_seconds") : undefined;
  };
  const want = await stampOf(leader);
  for (let tries = 0; tries < 300; tries++) {
    if (want !== undefined && (await stampOf(follower)) === want) return;
    await Bun.sleep(100);
  }
  throw new Error("the follower did not serve the leader's snapshot within 30 s");
}

/** A leader and a follower on a fresh database, both idle, measured at the same moment. */
async function pairIdle(server: PgServer, sim: Simulator, run: number, idleMs: number): Promise<Omit<MemoryRun, "sqlite">> {
  const dbUrl = await server.createDatabase(`replicas_rss_${run}`);
  const target: ReplicaTarget = { clsUrl: sim.url, orgName: sim.orgName, dbUrl, env: {} };
  const leader = await startReplica(target, "leader");
  const follower = await startReplica(target, "follower").catch(async (err) => {
    await stopReplica(leader);
    throw err;
  });
  try {
    await servesLeaders(leader, follower);
    const [l, f] = await Promise.all([
      idleOf(leader.exporter.url, leader.exporter.pid, idleMs),
      idleOf(follower.exporter.url, follower.exporter.pid, idleMs),
    ]);
    const [leaderSessions, followerSessions] = await Promise.all([
      sessionsOf(leader.exporter.pid, dbUrl),
      sessionsOf(follower.exporter.pid, dbUrl),
    ]);
    return { leader: l, follower: f, leaderSessions, followerSessions };
  } finally {
    await Promise.all([stopReplica(leader), stopReplica(follower)]);
  }
}

export async function memoryRun(server: PgServer, sim: Simulator, run: number, idleMs: number): Promise<MemoryRun> {
  const sqlite = await sqliteIdle(sim, idleMs);
  return { sqlite, ...(await pairIdle(server, sim, run, idleMs)) };
}
