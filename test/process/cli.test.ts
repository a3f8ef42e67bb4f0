import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { startSimulator } from "../../src/sim/server.ts";

const SECRET = "cli-test-key-7d0a4e3b9c";
const MAIN = new URL("../../src/index.ts", import.meta.url).pathname;

// Every run gets its own history database, never one in the working tree.
const DATA = mkdtempSync(join(tmpdir(), "cls-cli-"));
afterAll(() => rmSync(DATA, { recursive: true, force: true }));
let runs = 0;

function run(args: string[], env: Record<string, string>) {
  const db = join(DATA, `run-${++runs}.db`);
  return Bun.spawn([process.execPath, "run", MAIN, ...args], {
    env: { PATH: process.env.PATH ?? "", DB_PATH: db, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
}

async function finished(proc: ReturnType<typeof run>) {
  const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  return { code, out, err };
}

describe("the exporter process", () => {
  test("bad configuration: exit 2, one message naming every bad variable, the key never printed", async () => {
    const r = await finished(run(["-cache-ttl", "soon"], { NVIDIA_API_KEY: SECRET, PARALLELISM: "0", LISTEN_ADDRESS: "nowhere" }));
    expect(r.code).toBe(2);
    for (const name of ["NVIDIA_ORG_NAME", "-cache-ttl: ", "PARALLELISM", "LISTEN_ADDRESS"]) expect(r.err).toContain(name);
    expect(r.err + r.out).not.toContain(SECRET);
  });

  test("a bad value is named as the user gave it: the flag as typed, or the variable; unknown flags come back as typed", async () => {
    const r = await finished(
      run(["--cache-ttl=soon", "-bogus", "--also-bogus"], { NVIDIA_API_KEY: SECRET, NVIDIA_ORG_NAME: "o", PARALLELISM: "0" }),
    );
    expect(r.code).toBe(2);
    expect(r.err).toContain('--cache-ttl: "soon" is not a duration');
    expect(r.err).toContain('PARALLELISM: must be a whole number from 1 to 64, got "0"');
    expect(r.err).toContain("unknown flag -bogus (see --help)");
    expect(r.err).toContain("unknown flag --also-bogus (see --help)");
  });

  test("--help and --version", async () => {
    const help = await finished(run(["--help"], {}));
    expect(help.code).toBe(0);
    expect(help.out).toContain("-nvidia-org-name");
    // Plain text for a terminal: no Markdown, no pointers to sections of a document it is not part of.
    expect(help.out).not.toContain("`");
    expect(help.out).not.toMatch(/\*\w[^*]*\*/);
    expect(help.out).not.toMatch(/\bbelow\b/i);
    for (const flag of ["-version", "--version", "-v"]) {
      const version = await finished(run([flag], {}));
      expect(version.code).toBe(0);
      expect(version.out).toMatch(/^nvidia-license-server-exporter \d+\.\d+\.\d+/);
    }
  });

  test("a port in use: exit 1 with a message naming LISTEN_ADDRESS", async () => {
    const taken = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
    const r = await finished(
      run([], {
        NVIDIA_API_KEY: SECRET,
        NVIDIA_ORG_NAME: "o",
        LISTEN_ADDRESS: `127.0.0.1:${taken.port}`,
        NVIDIA_API_BASE_URL: "http://127.0.0.1:9",
      }),
    );
    taken.stop(true);
    expect(r.code).toBe(1);
    expect(r.err).toContain("LISTEN_ADDRESS");
  });

  describe("serving", () => {
    const sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: SECRET });
    afterAll(() => sim.stop());

    test("serves CLS data on $PORT, then exits 0 on SIGTERM, never logging the key", async () => {
      const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
      const port = probe.port;
      probe.stop(true);
      const proc = run([], { NVIDIA_API_KEY: SECRET, NVIDIA_ORG_NAME: "lic-example", NVIDIA_API_BASE_URL: sim.url, PORT: String(port) });
      let text = "";
      for (let i = 0; i < 100 && !text.includes("nvidia_cls_up{"); i++) {
        await Bun.sleep(100);
        text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
          (r) => r.text(),
          () => "",
        );
      }
      expect(text).toContain('nvidia_cls_up{org_name="lic-example"} 1');
      const healthcheck = new URL("../../src/healthcheck.ts", import.meta.url).pathname;
      const healthy = Bun.spawnSync([process.execPath, "run", healthcheck], { env: { PORT: String(port) } });
      expect(healthy.exitCode).toBe(0);
      proc.kill("SIGTERM");
      const r = await finished(proc);
      expect(r.code).toBe(0);
      expect(r.err).toContain('msg="refresh succeeded"');
      expect(r.err).toContain('msg="shutting down" signal=SIGTERM');
      expect(r.err + r.out + text).not.toContain(SECRET);
      const unhealthy = Bun.spawnSync([process.execPath, "run", healthcheck], { env: { PORT: String(port) } });
      expect(unhealthy.exitCode).toBe(1);
    });
  });
});
