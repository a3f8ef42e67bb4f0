/**
 * Issue: a corrupt or foreign file at DB_PATH, a database of a newer schema, a read-only or full
 * disk. Whatever the fault, the exporter keeps serving /metrics from memory, logs one line per
 * cause, counts nvidia_cls_history_write_errors_total{reason}, and /history answers 503 with the
 * reason; a file that is not ours (or is newer) is never altered. Real exporter processes, real
 * SQLite files, the simulator over HTTP; disk faults in a private mount namespace (mounts.ts).
 */
import { Database } from "bun:sqlite";
import { afterAll, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import { openDatabase } from "../../src/store/db.ts";
import { type Exporter, Harness, waitFor } from "./harness.ts";
import {
  churn,
  expectedLeases,
  exporterEnv,
  fingerprint,
  getHistory,
  historyValues,
  notRecordedLines,
  sampleValue,
  scrape,
  servedLeases,
  writeErrors,
} from "./history-helpers.ts";
import { inNamespaceOf, readOnlyPrefix, requireMountNamespaces, runToEnd, tmpfsPrefix } from "./mounts.ts";

const KEY = "history-faults-key-5d1e";
const WAIT = { timeoutMs: 30_000, intervalMs: 200 };
/** Per test: several refreshes a second apart, plus process starts; waits inside are bounded by WAIT. */
const TEST_TIMEOUT = 90_000;
const DB_CHECK = join(import.meta.dir, "fixtures", "db-check.ts");
const FUTURE_RELEASE = join(import.meta.dir, "fixtures", "future-release.ts");
const harness = new Harness();
const sims: Simulator[] = [];

afterAll(async () => {
  await harness.cleanup();
  await Promise.allSettled(sims.map((s) => s.stop()));
}, 30_000);

function newSim(): Simulator {
  const sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: KEY, seed: 5 });
  sims.push(sim);
  return sim;
}

const newDbPath = (prefix: string) => join(harness.tempDir(prefix), "history.db");

/** Waits until /metrics serves the simulator's current numbers with nvidia_cls_up 1. */
async function servesLive(e: Exporter, sim: Simulator) {
  return waitFor(
    "live data on /metrics (nvidia_cls_up 1 and the simulator's lease counts)",
    async () => {
      e.proc.assertAlive();
      const s = await scrape(e);
      return sampleValue(s, "nvidia_cls_up") === 1 && Bun.deepEquals(servedLeases(s), expectedLeases(sim)) ? s : undefined;
    },
    WAIT,
  );
}

/**
 * The contract every fault shares: live metrics, nvidia_cls_history_up 0, write errors of `reason`
 * (and no other) growing refresh after refresh, ONE log line for the cause, /history 503 naming it.
 * Returns that log line.
 */
async function expectHistoryFault(e: Exporter, sim: Simulator, reason: string): Promise<string> {
  const live = await servesLive(e, sim);
  expect(Object.keys(servedLeases(live)).length).toBeGreaterThan(0);
  const errors = async () => writeErrors(await scrape(e), reason);
  const first = await waitFor(
    `write_errors_total{reason="${reason}"} >= 1`,
    async () => {
      const n = await errors();
      return n >= 1 ? n : undefined;
    },
    WAIT,
  );
  await waitFor(
    `three more refreshes counted under reason="${reason}"`,
    async () => {
      e.proc.assertAlive();
      return (await errors()) >= first + 3 ? true : undefined;
    },
    WAIT,
  );
  const now = await scrape(e);
  expect(sampleValue(now, "nvidia_cls_history_up")).toBe(0);
  expect(now.filter((s) => s.name === "nvidia_cls_history_write_errors_total" && s.value > 0).map((s) => s.labels.reason)).toEqual([
    reason,
  ]);
  const lines = notRecordedLines(e.proc);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(` reason=${reason} `);
  const h = await getHistory(e);
  expect({ status: h.status, error: h.body.error, reason: h.body.reason }).toEqual({
    status: 503,
    error: "history is unavailable",
    reason,
  });
  expect(h.body.detail).toBeString();
  expect(e.proc.exited()).toBe(false);
  return lines[0]!;
}

/** A file that is not ours: refused with `reason`, and neither it nor its folder changes, even through shutdown. */
async function refusedFile(db: string, reason: string): Promise<string> {
  const before = fingerprint(db);
  const sim = newSim();
  const e = await harness.startExporter(exporterEnv(sim, KEY, db), WAIT);
  const line = await expectHistoryFault(e, sim, reason);
  expect(fingerprint(db)).toEqual(before);
  expect(await e.proc.stop()).toBe(0);
  expect(fingerprint(db)).toEqual(before);
  return line;
}

test(
  "corrupt file at DB_PATH: refused as corrupt, left as it was",
  async () => {
    const db = newDbPath("cls-corrupt-");
    writeFileSync(db, Buffer.concat([Buffer.from("not a database, just bytes\n"), randomBytes(64 * 1024)]));
    expect(await refusedFile(db, "corrupt")).toContain("is not a SQLite database");
  },
  TEST_TIMEOUT,
);

test(
  "another application's SQLite database at DB_PATH: refused as foreign, left as it was",
  async () => {
    const db = newDbPath("cls-foreign-");
    const other = new Database(db, { create: true });
    other.run("CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)");
    other.run("INSERT INTO invoices (amount) VALUES (12.5), (99)");
    other.close();
    expect(await refusedFile(db, "foreign")).toContain("belongs to another application");
  },
  TEST_TIMEOUT,
);

test(
  "a database written by a newer schema: refused as newer_schema, left as it was",
  async () => {
    const db = newDbPath("cls-newer-");
    // A valid, migrated history database. close(true) really closes (and checkpoints) it; close(false)
    // would leave it open while drizzle's prepared statements live, and the WAL beside the file.
    openDatabase(db).sqlite.close(true);
    const file = new Database(db);
    // What a later release's migration leaves behind: a hash this version does not know, applied last.
    file.run(
      "INSERT INTO __drizzle_migrations (hash, created_at) SELECT 'f00dfeed-from-a-future-release', max(created_at) + 1 FROM __drizzle_migrations",
    );
    file.close(); // checkpoints: the file alone holds everything before it is fingerprinted
    expect(await refusedFile(db, "newer_schema")).toContain("was written by a newer version of the exporter");
  },
  TEST_TIMEOUT,
);

test(
  "a newer release killed with its last commits still in the -wal: refused, neither file nor -wal altered",
  async () => {
    const db = newDbPath("cls-newer-wal-");
    const newer = harness.spawn("newer release", [process.execPath, "run", FUTURE_RELEASE, db]);
    await newer.proc.exited;
    expect({ signal: newer.proc.signalCode, wal: existsSync(`${db}-wal`) }).toEqual({ signal: "SIGKILL", wal: true });
    // Refusing must not recover and checkpoint that -wal into the file: that rewrites a file that is not ours to change.
    expect(await refusedFile(db, "newer_schema")).toContain("was written by a newer version of the exporter");
  },
  TEST_TIMEOUT,
);

// SQLite only says SQLITE_CANTOPEN when it cannot create the database or the -wal and -shm files a
// WAL database needs; src/store/db.ts checks the file system and names the cause: read-only.
const READ_ONLY_REASON = "readonly";

test(
  "read-only disk holding a database with history: last snapshot served, live data, writes refused",
  async () => {
    requireMountNamespaces(harness.tempDir("cls-probe-"));
    const db = newDbPath("cls-ro-");
    const sim = newSim();
    const env = exporterEnv(sim, KEY, db);
    const first = await harness.startExporter(env, { ...WAIT, waitUp: true });
    await waitFor(
      "a history write on the writable disk",
      async () => sampleValue(await scrape(first), "nvidia_cls_history_last_write_timestamp_seconds"),
      WAIT,
    );
    const stored = servedLeases(await scrape(first));
    expect(await first.proc.stop()).toBe(0);
    const before = fingerprint(db);

    // CLS fails at first, so what the restart serves can only come from the file; the org moves meanwhile.
    sim.setFaults([{ endpoint: "virtual_groups", status: 503 }]);
    churn(sim);
    const e = await harness.startExporter(env, { ...WAIT, prefix: readOnlyPrefix(join(db, "..")) });
    const restored = await scrape(e);
    sim.clearFaults();
    await expectHistoryFault(e, sim, READ_ONLY_REASON);
    expect(fingerprint(db)).toEqual(before);
    // Checked last so a failure here does not hide the checks above.
    const restart = "a restart on a read-only disk serves the stored snapshot (up 0) until CLS answers: the file is readable";
    expect({ up: sampleValue(restored, "nvidia_cls_up"), leases: servedLeases(restored) }, restart).toEqual({ up: 0, leases: stored });
  },
  TEST_TIMEOUT,
);

test(
  "read-only disk, empty folder: the database cannot be created, writes refused",
  async () => {
    requireMountNamespaces(harness.tempDir("cls-probe-"));
    const db = newDbPath("cls-ro-empty-");
    const sim = newSim();
    const e = await harness.startExporter(exporterEnv(sim, KEY, db), { ...WAIT, prefix: readOnlyPrefix(join(db, "..")) });
    await expectHistoryFault(e, sim, READ_ONLY_REASON);
    expect(readdirSync(join(db, ".."))).toEqual([]);
  },
  TEST_TIMEOUT,
);

test(
  "full disk: live metrics and counted errors while full, recovery when space is freed, a sound database",
  async () => {
    requireMountNamespaces(harness.tempDir("cls-probe-"));
    const db = newDbPath("cls-full-");
    const dir = join(db, "..");
    const sim = newSim();
    const e = await harness.startExporter(exporterEnv(sim, KEY, db), { ...WAIT, waitUp: true, prefix: tmpfsPrefix(dir, "8m") });
    const ns = (cmd: string[]) => inNamespaceOf(e.proc.proc.pid, cmd);
    // Holds the namespace, and so the tmpfs, after the exporter stops: the file is checked then.
    const keeper = harness.spawn("mount namespace keeper", ns(["sleep", "600"]));
    const firstWrite = await waitFor(
      "the first history write",
      async () => sampleValue(await scrape(e), "nvidia_cls_history_last_write_timestamp_seconds"),
      WAIT,
    );
    const beforeFull = expectedLeases(sim);

    const dd = await runToEnd(harness, "filling the tmpfs", ns(["dd", "if=/dev/zero", `of=${dir}/filler`, "bs=64k"]));
    expect(dd.output).toContain("No space left on device");
    // Lease counts move while the disk is full: writes have changes to write, /metrics must follow.
    churn(sim);
    await servesLive(e, sim);
    churn(sim);
    expect(await expectHistoryFault(e, sim, "full")).toContain("disk holding DB_PATH is full");

    expect((await runToEnd(harness, "freeing the tmpfs", ns(["rm", `${dir}/filler`]))).code).toBe(0);
    await e.proc.waitForLine(/msg="history writes recovered" after=full/, WAIT);
    const afterFull = churn(sim);
    const h = await waitFor(
      "/history 200 with the counts set after recovery",
      async () => {
        const answer = await getHistory(e, `from=${Math.floor(firstWrite) - 60}&step=1s`);
        return answer.status === 200 && Bun.deepEquals(historyValues(answer, "last"), afterFull) ? answer : undefined;
      },
      WAIT,
    );
    // The earliest points are the counts recorded before the disk filled up, at or before that write.
    expect(historyValues(h, "first")).toEqual(beforeFull);
    expect(Math.min(...h.body.series!.map((s) => Date.parse(s.points[0]!.t) / 1000))).toBeLessThanOrEqual(firstWrite);
    expect(sampleValue(await scrape(e), "nvidia_cls_history_up")).toBe(1);
    expect(notRecordedLines(e.proc)).toHaveLength(1);

    expect(await e.proc.stop()).toBe(0);
    const check = await runToEnd(harness, "integrity check", inNamespaceOf(keeper.proc.pid, [process.execPath, "run", DB_CHECK, db]));
    expect(check).toEqual({ code: 0, output: "ok\n" });
  },
  TEST_TIMEOUT,
);
