/**
 * The PostgreSQL sessions of one exporter process: its TCP sockets (/proc/PID/fd and the
 * namespace's /proc/PID/net/tcp) matched to pg_stat_activity.client_port, so the sessions of two
 * exporters on one database are told apart.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { onDb } from "../../test/integration/replica-helpers.ts";

/** Local ports of the process's IPv4 TCP connections to `serverPort` on 127.0.0.1. */
function portsTo(pid: number, serverPort: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    const link = (() => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return ""; // closed meanwhile
      }
    })();
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m) inodes.add(m[1]!);
  }
  const ports: number[] = [];
  for (const line of readFileSync(`/proc/${pid}/net/tcp`, "utf8").split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !inodes.has(f[9]!)) continue;
    const [, local] = f[1]!.split(":");
    const [, remote] = f[2]!.split(":");
    if (Number.parseInt(remote!, 16) === serverPort) ports.push(Number.parseInt(local!, 16));
  }
  return ports;
}

/** What each of the process's sessions last ran (first 60 characters), one entry per session. */
export async function sessionsOf(pid: number, dbUrl: string): Promise<string[]> {
  const ports = portsTo(pid, Number(new URL(dbUrl).port));
  if (ports.length === 0) return [];
  const rows = await onDb<{ query: string }>(
    dbUrl,
    `SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 60) AS query FROM pg_stat_activity WHERE client_port IN (${ports.join(",")})`,
  );
  return rows.map((r) => r.query);
}
