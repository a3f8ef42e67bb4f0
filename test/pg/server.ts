import { afterAll, beforeAll } from "bun:test";
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";

/**
 * A real PostgreSQL server for tests: Debian's `postgresql` package (the newest
 * /usr/lib/postgresql/<version>/bin, or PG_BIN), a cluster made by initdb in a temporary folder,
 * listening on 127.0.0.1 only with trust authentication, its socket in that folder (never
 * /var/run). The package's own cluster and service are never used. initdb and postgres refuse to
 * run as root, so as root every server command runs as the `postgres` system user, who owns the folder.
 * Durability is off (fsync, synchronous_commit): the cluster is thrown away at the end.
 */
export interface PgServer {
  port: number;
  /** A fresh, empty database; its URL (postgres://postgres@127.0.0.1:port/name). */
  createDatabase(name: string): Promise<string>;
  url(database: string): string;
  /** Stops the server (fast shutdown: sessions are ended) and keeps its data, for resume(). */
  pause(): void;
  /** Starts the paused server again on the same port with the same data. */
  resume(): void;
  stop(): void;
}

/** Generous: two cores shared with other work; a first initdb after boot can take seconds. */
const COMMAND_TIMEOUT_MS = 60_000;

export function pgBin(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, "bin", "initdb")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0)
    throw new Error("no PostgreSQL server found under /usr/lib/postgresql: install Debian's postgresql package (or set PG_BIN)");
  return join(root, versions[0]!, "bin");
}

/** As root, the command runs as `postgres`; as anyone else, as that user (who then owns the folder). */
function asServerUser(argv: string[]): string[] {
  return process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--", ...argv] : argv;
}

function run(argv: string[], what: string): void {
  const r = Bun.spawnSync(asServerUser(argv), { stdout: "pipe", stderr: "pipe", timeout: COMMAND_TIMEOUT_MS });
  if (r.exitCode !== 0) throw new Error(`${what} failed (exit ${r.exitCode}): ${r.stderr.toString().trim() || r.stdout.toString().trim()}`);
}

/** A port free right now on 127.0.0.1 (the OS picks it; a clash before the server binds is retried by the caller). */
function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

function ownedFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), "cls-pg-"));
  if (process.getuid?.() === 0) {
    const uid = Number(Bun.spawnSync(["id", "-u", "postgres"]).stdout.toString().trim());
    const gid = Number(Bun.spawnSync(["id", "-g", "postgres"]).stdout.toString().trim());
    if (!Number.isInteger(uid) || !Number.isInteger(gid))
      throw new Error("the postgres system user is missing (Debian's postgresql package creates it)");
    chownSync(dir, uid, gid);
  }
  return dir;
}

function startCluster(bin: string, dir: string, data: string, port: number, tls: boolean): void {
  const options = [
    `-p ${port}`,
    "-c listen_addresses=127.0.0.1",
    `-c unix_socket_directories=${dir}`,
    "-c fsync=off",
    "-c synchronous_commit=off",
    "-c full_page_writes=off",
    ...(tls ? ["-c ssl=on", `-c ssl_cert_file=${join(dir, "server.pem")}`, `-c ssl_key_file=${join(dir, "server-key.pem")}`] : []),
  ].join(" ");
  run([join(bin, "pg_ctl"), "start", "-w", "-t", "60", "-D", data, "-l", join(dir, "server.log"), "-o", options], "pg_ctl start");
}

/** A certificate and key (PEM files) the server offers TLS with; plain connections are accepted too. */
export interface PgTls {
  certFile: string;
  keyFile: string;
}

/** Copies the certificate and key into the server's folder, owned by the server's user (PostgreSQL refuses a key others can read). */
function installTls(dir: string, tls: PgTls): void {
  const owner = statSync(dir);
  for (const [from, name] of [
    [tls.certFile, "server.pem"],
    [tls.keyFile, "server-key.pem"],
  ] as const) {
    const to = join(dir, name);
    copyFileSync(from, to);
    chmodSync(to, 0o600);
    if (process.getuid?.() === 0) chownSync(to, owner.uid, owner.gid);
  }
}

/**
 * Starts a new cluster (with `tls`, offering TLS with that certificate); stop() stops it and
 * removes its folder (call it from afterAll, which runs even after a failed test).
 */
export function startPgServer(tls?: PgTls): PgServer {
  const bin = pgBin();
  const dir = ownedFolder();
  const data = join(dir, "data");
  let port = 0;
  let started = false;
  const stop = () => {
    if (started) {
      started = false;
      try {
        run([join(bin, "pg_ctl"), "stop", "-m", "fast", "-w", "-D", data], "pg_ctl stop");
      } catch {
        // The folder goes anyway; a server left running has lost its files and exits.
      }
    }
    rmSync(dir, { recursive: true, force: true });
    process.off("exit", stop);
  };
  // A test runner that exits without afterAll (an uncaught error) still stops the server.
  process.on("exit", stop);
  try {
    if (tls) installTls(dir, tls);
    run([join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "--encoding=UTF8", "--locale=C"], "initdb");
    // Only TCP from 127.0.0.1, trusted; no other host, no socket authentication line.
    writeFileSync(join(data, "pg_hba.conf"), "host all all 127.0.0.1/32 trust\n");
    for (let attempt = 1; !started; attempt++) {
      port = freePort();
      try {
        startCluster(bin, dir, data, port, tls !== undefined);
        started = true;
      } catch (err) {
        if (attempt >= 3) throw new Error(`${(err as Error).message}\n${serverLog(dir)}`);
      }
    }
  } catch (err) {
    stop();
    throw err;
  }
  const url = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const pause = () => {
    run([join(bin, "pg_ctl"), "stop", "-m", "fast", "-w", "-D", data], "pg_ctl stop");
    started = false;
  };
  const resume = () => {
    startCluster(bin, dir, data, port, tls !== undefined);
    started = true;
  };
  return { port, url, pause, resume, stop, createDatabase: (name) => createDatabase(url("postgres"), name).then(() => url(name)) };
}

async function createDatabase(adminUrl: string, name: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`database name ${name} must be a plain lower-case identifier`);
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await sql.end();
  }
}

function serverLog(dir: string): string {
  try {
    return readFileSync(join(dir, "server.log"), "utf8").split("\n").slice(-20).join("\n");
  } catch {
    return "(no server log)";
  }
}

/** A `SELECT count(*) AS n …` on the server at `url`, as a number. */
export async function pgCount(url: string, text: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql.unsafe(text);
    return Number(row?.n);
  } finally {
    await sql.end();
  }
}

/** One server for a test file: started before its tests, stopped after them even when one fails. */
export function serverForFile(): () => PgServer {
  let server: PgServer | undefined;
  beforeAll(() => {
    server = startPgServer();
  }, 120_000);
  afterAll(() => server?.stop(), 60_000);
  return () => {
    if (!server) throw new Error("the PostgreSQL server of this file has not started");
    return server;
  };
}
