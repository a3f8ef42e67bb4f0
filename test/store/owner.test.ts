import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLogger } from "../../src/log.ts";
import { claimOwner, lockPathOf, OwnerConflict, type OwnerIdentity } from "../../src/store/owner.ts";
import { HistoryStore } from "../../src/store/store.ts";
import { ORG, snapshotAt, tempDir } from "./helpers.ts";

const tmp = tempDir("cls-owner-");
afterAll(tmp.cleanup);
let n = 0;
/** A new file in a folder of its own (created). */
function freshPath(): string {
  const dir = join(tmp.dir, `o${++n}`);
  mkdirSync(dir);
  return join(dir, "history.db");
}

const ME: OwnerIdentity = { pid: 4242, host: "host-a", since: 1_800_000_000_000 };
const OTHER: OwnerIdentity = { pid: 4343, host: "host-b", since: 1_800_000_100_000 };

function conflictOf(fn: () => unknown): OwnerConflict {
  try {
    fn();
  } catch (err) {
    if (err instanceof OwnerConflict) return err;
    throw err;
  }
  throw new Error("expected an OwnerConflict");
}

function storeAt(path: string, owner: OwnerIdentity | undefined, orgName = ORG) {
  const lines: string[] = [];
  const store = new HistoryStore({
    path,
    orgName,
    maxGapS: 130,
    rawRetentionS: 8 * 86_400,
    retentionS: 400 * 86_400,
    now: () => 1_800_000_000_000,
    log: createLogger({ write: (l) => lines.push(l) }),
    timers: { setTimeout: () => undefined, clearTimeout: () => {} },
    ...(owner ? { owner } : {}),
  });
  return { store, lines };
}

describe("claimOwner", () => {
  test("a second claim of one file and org is refused naming the file, the org and the holder", () => {
    const path = freshPath();
    const lock = claimOwner(path, ORG, ME);
    const conflict = conflictOf(() => claimOwner(path, ORG, OTHER));
    expect({ path: conflict.path, org: conflict.orgName, holder: conflict.holder }).toEqual({ path, org: ORG, holder: ME });
    expect(conflict.message).toContain(`history database ${path} is in use for org ${ORG}`);
    expect(conflict.message).toContain("pid 4242 on host host-a, since 2027-01-15T08:00:00.000Z");
    expect(conflict.message).toContain("give each its own DB_PATH, or run them for different orgs");
    lock.release();
  });

  test("another org on the same file has its own lock", () => {
    const path = freshPath();
    const a = claimOwner(path, ORG, ME);
    const b = claimOwner(path, "other-org", OTHER);
    expect(a.lockPath).not.toBe(b.lockPath);
    a.release();
    b.release();
  });

  test("released (twice is harmless), the lock is taken again and names its new holder", () => {
    const path = freshPath();
    const first = claimOwner(path, ORG, ME);
    first.release();
    first.release();
    const second = claimOwner(path, ORG, OTHER);
    expect(conflictOf(() => claimOwner(path, ORG, ME)).holder).toEqual(OTHER);
    second.release();
  });

  test("lock file names: readable, distinct for names that differ only in case or in characters cut out", () => {
    const a = lockPathOf("/d/h.db", "Org:1");
    expect(a).toMatch(/^\/d\/h\.db-owner-Org_1-[0-9a-f]{10}\.lock$/);
    expect(new Set([a, lockPathOf("/d/h.db", "org:1"), lockPathOf("/d/h.db", "Org_1")]).size).toBe(3);
    expect(lockPathOf("/d/h.db", "x".repeat(500)).length).toBeLessThan(80);
  });
});

describe("HistoryStore with an owner", () => {
  test("a second store on the same file and org throws at construction; closing the first lets it open", () => {
    const path = freshPath();
    const first = storeAt(path, ME).store;
    expect(conflictOf(() => storeAt(path, OTHER)).holder).toEqual(ME);
    const otherOrg = storeAt(path, OTHER, "other-org").store;
    expect(otherOrg.unavailable()).toBeUndefined();
    first.close();
    const again = storeAt(path, OTHER).store;
    expect(again.unavailable()).toBeUndefined();
    again.close();
    otherOrg.close();
  });

  test(":memory: takes no lock", () => {
    const a = storeAt(":memory:", ME).store;
    const b = storeAt(":memory:", OTHER).store;
    expect([a.unavailable(), b.unavailable()]).toEqual([undefined, undefined]);
    a.close();
    b.close();
  });

  test("a file that is not ours is refused without a lock file beside it", () => {
    const path = freshPath();
    const foreign = join(path, "..");
    const other = new Database(path, { create: true });
    other.run("CREATE TABLE notes (body TEXT)");
    other.close();
    const before = readdirSync(foreign).sort();
    const { store } = storeAt(path, ME);
    expect(store.unavailable()?.reason).toBe("foreign");
    store.close();
    expect(readdirSync(foreign).sort()).toEqual(before);
  });

  test("an owner that appears while the store could not open: writes refused as busy, counted, never thrown", () => {
    const path = join(tmp.dir, `o${++n}`, "history.db");
    // The folder's place is taken by a file: the first open fails (a cause a retry may cure).
    writeFileSync(join(path, ".."), "not a folder");
    const late = storeAt(path, ME);
    expect(late.store.unavailable()?.reason).toBe("cannot_open");
    rmSync(join(path, ".."));
    const owner = storeAt(path, OTHER).store;
    late.store.record(snapshotAt(1_800_000_000, { "s1/f1": 3 }));
    expect(late.store.unavailable()?.reason).toBe("busy");
    expect(late.store.stats.writeErrors.get("busy")).toBe(1);
    expect(late.lines.join("")).toContain("is in use for org");
    owner.close();
    late.store.close();
  });
});
