/**
 * The election of src/store/pg/election.ts on a real PostgreSQL, in process, its rounds driven by
 * fake timers: one leader per org, the next one after the leader leaves, a leader whose session is
 * terminated detached at once, a follower cut off calling CLS only after detachAfterMs, the leader's
 * stored snapshot as followers read it.
 */
import { afterEach, expect, test } from "bun:test";
import postgres from "postgres";
import { createLogger } from "../../src/log.ts";
import { ELECTION_INTERVAL_MS, Election, type ElectionOptions } from "../../src/store/pg/election.ts";
import { PgHistoryStore } from "../../src/store/pg/store.ts";
import { HOUR } from "../../src/store/rollup.ts";
import { FakeTime } from "../fake-time.ts";
import { waitFor } from "../integration/harness.ts";
import { snapshotAt, T0 } from "../store/helpers.ts";
import { serverForFile } from "./server.ts";

const server = serverForFile();
const open: Election[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close()));
});

function election(url: string, time: FakeTime, lines: string[], over: Partial<ElectionOptions> = {}): Election {
  const e = new Election({
    url,
    orgName: "org-e",
    log: createLogger({ write: (l) => lines.push(l) }),
    now: () => time.now,
    detachAfterMs: 60_000,
    mayLead: async () => true,
    timers: time,
    ...over,
  });
  open.push(e);
  return e;
}

const rounds = async (time: FakeTime, n = 1) => {
  for (let i = 0; i < n; i++) await time.advance(ELECTION_INTERVAL_MS);
};

test("one leader per org; when it leaves, a follower leads at its next round", async () => {
  const url = await server().createDatabase("election_db");
  const time = new FakeTime();
  const lines: string[] = [];
  const [a, b] = [election(url, time, lines), election(url, time, lines)];
  await a.start();
  await b.start();
  expect([a.role(), b.role()]).toEqual(["leader", "follower"]);
  expect([a.callsCls(), b.callsCls()]).toEqual([true, false]);
  expect(a.leaderPid()).toBeNumber();
  expect(b.leaderPid()).toBeUndefined();
  // An exporter of another org leads its own org beside them.
  const other = election(url, time, lines, { orgName: "org-other" });
  await other.start();
  expect(other.role()).toBe("leader");

  await a.close();
  await rounds(time);
  await waitFor("b to lead", () => (b.role() === "leader" ? true : undefined));
  expect(lines.join("\n")).toContain('msg="this exporter leads its org: it calls CLS and writes the history"');
}, 60_000);

test("an exporter that may not lead (a newer schema) follows whatever happens to the lock", async () => {
  const url = await server().createDatabase("never_leads_db");
  const time = new FakeTime();
  const e = election(url, time, [], { mayLead: async () => false });
  await e.start();
  await rounds(time, 2);
  expect(e.role()).toBe("follower");
  expect(e.callsCls()).toBe(false);
}, 60_000);

test("a leader whose session is terminated is detached at once and calls CLS; another leads; it follows once back", async () => {
  const url = await server().createDatabase("terminate_db");
  const time = new FakeTime();
  const lines: string[] = [];
  const [a, b] = [election(url, time, lines), election(url, time, lines)];
  await a.start();
  await b.start();
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await admin`SELECT pg_terminate_backend(${a.leaderPid()!})`;
  } finally {
    await admin.end();
  }
  await waitFor("a to notice", () => (a.role() === "detached" ? true : undefined));
  expect(a.leaderPid()).toBeUndefined();
  expect(a.callsCls()).toBe(true);
  expect(lines.join("\n")).toContain("this exporter writes nothing and does not lead");
  await rounds(time);
  await waitFor("one leader again", () => (a.role() !== "detached" && b.role() === "leader" ? true : undefined));
  expect(a.role()).toBe("follower");
}, 60_000);

test("a follower reads the leader's stored snapshot when newer than the one served, or when forced", async () => {
  const url = await server().createDatabase("shared_db");
  const time = new FakeTime();
  const leader = election(url, time, []);
  await leader.start();
  const lines: string[] = [];
  const follower = election(url, time, lines);
  await follower.start();
  const store = await PgHistoryStore.open({
    url,
    orgName: "org-e",
    maxGapS: 130,
    rawRetentionS: 86_400,
    retentionS: 400 * 86_400,
    now: () => time.now,
    log: createLogger({ write: () => {} }),
  });
  try {
    expect(await follower.shared(undefined, false)).toBeUndefined();
    const written = snapshotAt(T0 + HOUR, { "s1/vpc": 2 });
    expect(await store.record(written)).toBe(true);
    expect(await follower.shared(undefined, false)).toEqual(written);
    expect(lines.join("\n")).not.toContain("reading the leader's snapshot failed");
    expect(await follower.shared(written.collectedAt + 1_000, false)).toBeUndefined();
    expect(await follower.shared(written.collectedAt + 1_000, true)).toEqual(written);
  } finally {
    await store.close();
  }
}, 60_000);

test("a follower cut off from the database calls CLS only after detachAfterMs; an exporter that never reached it at once", async () => {
  const time = new FakeTime();
  const lines: string[] = [];
  // Nothing listens on port 1: every connection is refused.
  const cutOff = election("postgres://postgres@127.0.0.1:1/none", time, lines);
  await cutOff.start();
  expect(cutOff.role()).toBe("detached");
  expect(cutOff.callsCls()).toBe(true);
  expect(lines.join("\n")).toContain("history database not reachable: this exporter writes nothing and does not lead");

  const url = await server().createDatabase("cutoff_db");
  const leader = election(url, time, []);
  await leader.start();
  const follower = election(url, time, lines);
  await follower.start();
  expect(follower.role()).toBe("follower");
  server().pause();
  try {
    await rounds(time);
    await waitFor("the follower to notice", () => (follower.role() === "detached" ? true : undefined));
    expect(follower.callsCls()).toBe(false);
    await time.advance(60_000);
    expect(follower.callsCls()).toBe(true);
  } finally {
    server().resume();
  }
}, 60_000);
