/**
 * The image's entrypoint (deploy/docker/entrypoint.sh), run without Docker: started as root against
 * root-owned folders, as a volume is mounted on Railway, with a stub in place of the exporter.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DB_FILE_NAME, DEFAULT_DB_PATH } from "../../src/config/settings.ts";
import { expectRoot, homeOf, imageUser, parseReport, removeScratch, run, scratch, start } from "./entrypoint-harness.ts";

let user: { uid: number; gid: number };
let ids: Record<string, string>;
beforeAll(async () => {
  user = await imageUser();
  ids = { EXPORTER_UID: String(user.uid), EXPORTER_GID: String(user.gid) };
});
afterAll(removeScratch);

const owner = (path: string) => {
  const s = lstatSync(path);
  return { uid: s.uid, gid: s.gid };
};

/** A root-owned folder no one else may write, as a volume is mounted. */
function rootFolder(path: string): string {
  mkdirSync(path, { recursive: true, mode: 0o755 });
  return path;
}

describe("started as root", () => {
  test("makes a root-owned volume the image user's, then runs the exporter as that user with its arguments and environment", async () => {
    expectRoot();
    const { dir, stub } = scratch();
    const vol = rootFolder(join(dir, "vol"));
    writeFileSync(join(vol, `${DB_FILE_NAME}-wal`), "");
    writeFileSync(join(vol, "someone-elses"), "");
    const outside = join(dir, "outside");
    writeFileSync(outside, "");
    symlinkSync(outside, join(vol, `${DB_FILE_NAME}-shm`));
    const args = [stub, "a b", "-listen-address=:9844", "*", ""];
    const env = { ...ids, RAILWAY_VOLUME_MOUNT_PATH: ` ${vol}/ `, PROBE: "x y", HOME: "/root" };
    const r = await run({ args, env, cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(owner(vol)).toEqual(user);
    expect(owner(join(vol, `${DB_FILE_NAME}-wal`))).toEqual(user);
    // Not the history's, and never through a link: left as they were.
    expect(owner(join(vol, "someone-elses")).uid).toBe(0);
    expect(owner(join(vol, `${DB_FILE_NAME}-shm`)).uid).toBe(0);
    expect(owner(outside).uid).toBe(0);
    expect(owner(dir).uid).toBe(0);
    expect({ uid: r.report.uid, gid: r.report.gid, groups: r.report.groups }).toEqual({ ...user, groups: String(user.gid) });
    expect(r.report.args).toEqual(args.slice(1));
    expect(r.report.probe).toBe("x y");
    expect(r.report.home).toBe(await homeOf(user.uid, "/root"));
  });

  const cases: { name: string; env: (dir: string) => Record<string, string>; args: (dir: string) => string[]; folder: string }[] = [
    { name: "DB_PATH's default under the working folder", env: () => ({}), args: () => [], folder: "app/data" },
    { name: "DB_PATH", env: (d) => ({ DB_PATH: join(d, "db/h.db") }), args: () => [], folder: "db" },
    {
      name: "the -db-path flag, over DB_PATH and the volume, its missing folder created",
      env: (d) => ({ DB_PATH: join(d, "db/h.db"), RAILWAY_VOLUME_MOUNT_PATH: join(d, "vol") }),
      args: (d) => ["--db-path", join(d, "flagged/new/h.db")],
      folder: "flagged/new",
    },
  ];
  for (const c of cases) {
    test(`the folder of ${c.name} ends the image user's, and only it`, async () => {
      expectRoot();
      const { dir, stub } = scratch();
      for (const f of ["app/data", "db", "vol", "flagged"]) rootFolder(join(dir, f));
      const r = await run({ args: [stub, ...c.args(dir)], env: { ...ids, ...c.env(dir) }, cwd: join(dir, "app") });
      expect(r.code, r.stderr).toBe(0);
      expect(owner(join(dir, c.folder))).toEqual(user);
      for (const f of ["app/data", "db", "vol", "flagged"].filter((f) => f !== c.folder)) expect(owner(join(dir, f)).uid).toBe(0);
      expect(r.report.uid).toBe(user.uid);
    });
  }

  test("the default folder it prepares is the settings' DEFAULT_DB_PATH", () => {
    expect(DEFAULT_DB_PATH).toBe(`./data/${DB_FILE_NAME}`);
  });

  test("leaves a folder the user can already write (a shared /tmp) as it is", async () => {
    expectRoot();
    const { dir, stub } = scratch();
    const shared = rootFolder(join(dir, "shared"));
    Bun.spawnSync(["chmod", "1777", shared]);
    const r = await run({ args: [stub], env: { ...ids, DB_PATH: join(shared, "h.db") }, cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(owner(shared).uid).toBe(0);
    expect(statSync(shared).mode & 0o7777).toBe(0o1777);
    expect(r.report.uid).toBe(user.uid);
  });

  test("never gives away a folder reached through a link, by '..', or a system folder, whatever DB_PATH says", async () => {
    expectRoot();
    const { dir, stub } = scratch();
    const target = rootFolder(join(dir, "target"));
    symlinkSync(target, join(dir, "link"));
    const app = rootFolder(join(dir, "app"));
    const paths = [
      // Written out, not path.join(), which would take the "." and ".." away.
      `${dir}/link/./h.db`,
      `${dir}/link/h.db`,
      "../h.db",
      `${dir}/app/../h.db`,
      "/etc/h.db",
      "/usr/local/bin/h.db",
      "/h.db",
    ];
    for (const path of paths) {
      const r = await run({ args: [stub], env: { ...ids, DB_PATH: path }, cwd: app });
      expect([path, r.code]).toEqual([path, 0]);
      expect([path, r.stderr]).toEqual([path, expect.stringMatching(/left as it is/)]);
      expect(r.report.uid).toBe(user.uid);
    }
    for (const folder of [target, dir, app, "/etc", "/usr/local/bin", "/"]) expect([folder, owner(folder).uid]).toEqual([folder, 0]);
  });

  test("with --no-prepare (the image's health check) it changes no owner and runs the command as the user", async () => {
    expectRoot();
    const { dir, stub } = scratch();
    const vol = rootFolder(join(dir, "vol"));
    const r = await run({ args: ["--no-prepare", stub, "x"], env: { ...ids, DB_PATH: join(vol, "h.db") }, cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(owner(vol).uid).toBe(0);
    expect(r.report).toMatchObject({ uid: user.uid, args: ["x"] });
  });

  test("passes the exporter's exit code on", async () => {
    expectRoot();
    const { dir, stub } = scratch();
    const r = await run({ args: [stub], env: { ...ids, STUB_MODE: "exit", DB_PATH: ":memory:" }, cwd: dir });
    expect(r.code).toBe(7);
    expect(r.report.uid).toBe(user.uid);
  });

  test("becomes the exporter (exec, no shell left): SIGTERM to it reaches the exporter", async () => {
    expectRoot();
    const { dir, stub } = scratch();
    const proc = start({ args: [stub], env: { ...ids, STUB_MODE: "wait", DB_PATH: join(dir, "db/h.db") }, cwd: dir });
    const reader = proc.stdout.getReader();
    let out = "";
    while (!out.includes("ready\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
    const report = parseReport(out);
    expect(report.pid).toBe(proc.pid);
    expect(readFileSync(`/proc/${proc.pid}/status`, "utf8")).toMatch(new RegExp(`^Uid:\\s+${user.uid}\\s`, "m"));
    proc.kill("SIGTERM");
    const code = await proc.exited;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
    expect(out).toContain("got=TERM");
    expect(code).toBe(42);
  });

  test("refuses to run the exporter as root or without the ids", async () => {
    expectRoot();
    const { dir, stub } = scratch();
    const envs: Record<string, string>[] = [{ EXPORTER_UID: "0", EXPORTER_GID: "0" }, {}, { EXPORTER_UID: "bun", EXPORTER_GID: "bun" }];
    for (const env of envs) {
      const r = await run({ args: [stub], env, cwd: dir });
      expect(r.code).toBe(64);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain("EXPORTER_UID and EXPORTER_GID");
    }
  });
});

test("started as the image's user (docker run --user, runAsUser), it only execs", async () => {
  expectRoot();
  const { dir, stub } = scratch();
  const vol = rootFolder(join(dir, "vol"));
  const proc = start({ args: [stub, "a"], env: { ...ids, DB_PATH: join(vol, "h.db"), PROBE: "p" }, cwd: dir, as: user });
  const [stdout, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  const report = parseReport(stdout);
  expect(code).toBe(0);
  expect(owner(vol).uid).toBe(0);
  expect(report).toMatchObject({ pid: proc.pid, uid: user.uid, gid: user.gid, probe: "p", args: ["a"] });
});
