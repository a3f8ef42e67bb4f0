/** The Markdown of bench/replicas.ts: failover times against their bounds, idle RSS side by side. */
import { join } from "node:path";
import { ELECTION_INTERVAL_MS } from "../../src/store/pg/election.ts";
import { LOCK_KEEPALIVE } from "../../src/store/pg/lock-session.ts";
import { pgBin } from "../../test/pg/server.ts";
import { mb } from "../lib/format.ts";
import { median } from "../lib/statistics.ts";
import type { FailoverRound } from "./failover.ts";
import type { Idle, MemoryRun } from "./memory.ts";

export function pgVersion(): string {
  return Bun.spawnSync([join(pgBin(), "postgres"), "--version"])
    .stdout.toString()
    .trim();
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const spread = (xs: number[]) => `${seconds(median(xs))} | ${seconds(Math.min(...xs))} | ${seconds(Math.max(...xs))}`;

export function failoverReport(rounds: FailoverRound[], opts: { cacheTtl: string; cacheTtlMs: number; org: string }): string {
  const hostLossS = LOCK_KEEPALIVE.idleS + LOCK_KEEPALIVE.intervalS * LOCK_KEEPALIVE.count + ELECTION_INTERVAL_MS / 1000;
  const election = ELECTION_INTERVAL_MS / 1000;
  return [
    `### Failover: kill -9 of the leader (${rounds.length} kills, two replicas, org ${opts.org}, CACHE_TTL ${opts.cacheTtl}, other settings the exporter's defaults)\n`,
    "| from kill -9 of the leader to | median | min | max | bound |",
    "|---|---|---|---|---|",
    `| (a) the follower logs "this exporter leads its org" | ${spread(rounds.map((r) => r.leadsMs))} | ELECTION_INTERVAL_MS (${election} s) + one election round |`,
    `| (b) its first snapshot is in the database (snapshots.collected_at moves; read every 50 ms) | ${spread(rounds.map((r) => r.writesMs))} | (a) + CACHE_TTL (${opts.cacheTtl}) + one refresh |`,
    "",
    `Per kill (a / b): ${rounds.map((r) => `${seconds(r.leadsMs)} / ${seconds(r.writesMs)}`).join(", ")}.`,
    `A dead process on a live host: its kernel closes the socket, the server frees the lock at once, and the follower takes it at its next try (every ${election} s). A lost host (no FIN, no RST): the server's TCP keepalives end the session after ${LOCK_KEEPALIVE.idleS} + ${LOCK_KEEPALIVE.intervalS} × ${LOCK_KEEPALIVE.count} s, then the next try: ≤ ${hostLossS} s (not measured here).`,
    "",
  ].join("\n");
}

const medianOf = (xs: Idle[], key: keyof Idle) => mb(median(xs.map((x) => x[key])));
const row = (name: string, xs: Idle[], sessions?: string[][]) =>
  `| ${name} | ${xs[0]!.series} | ${medianOf(xs, "vmRss")} (${xs.map((x) => mb(x.vmRss)).join(", ")}) | ${medianOf(xs, "rssAnon")} | ${medianOf(xs, "rssFile")} | ${medianOf(xs, "vmHwm")} | ${sessions ? median(sessions.map((s) => s.length)) : "–"} |`;

/** The sessions of the last run, by what they last ran. */
const lastRan = (sessions: string[]) => sessions.map((q) => `\`${q.replaceAll("`", "'")}\``).join("; ");

export function memoryReport(runs: MemoryRun[], opts: { org: string; idleMs: number }): string {
  const delta = (a: Idle[], b: Idle[]) => mb(median(a.map((x) => x.vmRss)) - median(b.map((x) => x.vmRss)));
  const sqlite = runs.map((r) => r.sqlite);
  const leader = runs.map((r) => r.leader);
  const follower = runs.map((r) => r.follower);
  return [
    `### Idle RSS of a follower (org ${opts.org}, ${runs.length} runs, CACHE_TTL 1h; each exporter: first refresh or the leader's snapshot served, 3 rounds of 4 scrapes + / + /healthz, ${opts.idleMs / 1000} s idle)\n`,
    "| exporter | nvidia_cls_* series | VmRSS median (runs) | RssAnon median | RssFile median | VmHWM (peak) median | database sessions |",
    "|---|---|---|---|---|---|---|",
    row("SQLite (DB_PATH), alone", sqlite),
    row(
      "PostgreSQL leader",
      leader,
      runs.map((r) => r.leaderSessions),
    ),
    row(
      "PostgreSQL follower (beside the leader)",
      follower,
      runs.map((r) => r.followerSessions),
    ),
    "",
    `Sessions of the last run, by what each last ran: leader ${lastRan(runs.at(-1)!.leaderSessions)}; follower ${lastRan(runs.at(-1)!.followerSessions)}.`,
    "",
    `Follower − leader: ${delta(follower, leader)}; follower − SQLite: ${delta(follower, sqlite)}; leader − SQLite: ${delta(leader, sqlite)} (medians).`,
    "",
  ].join("\n");
}
