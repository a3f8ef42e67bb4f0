/**
 * Secrets rotate without a restart: a changed NVIDIA_API_KEY_FILE is used by the next refresh (and a
 * 401 then says the file was re-read), a changed AUTH_BEARER_TOKEN_FILE by the next request;
 * SIGHUP reloads the basic-auth users (keeping them when the new file is bad); SIGUSR1/2 are ignored.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import { type KeyFront, startKeyFront } from "./fronts.ts";
import { Harness, waitFor } from "./harness.ts";

const SIM_KEY = `sim-${crypto.randomUUID()}`;
const [KEY1, KEY2, KEY3] = [1, 2, 3].map((n) => `nvapi-${n}-${crypto.randomUUID()}`) as [string, string, string];
const harness = new Harness();
let sim: Simulator;
let front: KeyFront;

beforeAll(() => {
  sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: SIM_KEY });
  front = startKeyFront(sim.url, SIM_KEY, KEY1);
});
afterAll(async () => {
  await harness.cleanup();
  await front?.stop();
  await sim?.stop();
}, 30_000);

const hash = (password: string) => Bun.password.hashSync(password, { algorithm: "bcrypt", cost: 4 });
const basic = (user: string, password: string) => ({ authorization: `Basic ${btoa(`${user}:${password}`)}` });

describe("secret rotation", () => {
  test("a rewritten or swapped key file is used by the next refresh; a 401 after it says the file was re-read", async () => {
    const dir = harness.tempDir("cls-rotate-");
    // As Kubernetes mounts secrets: key → ..data/key, ..data → a versioned folder swapped atomically.
    const version = (name: string, key: string) => {
      const folder = join(dir, name);
      mkdirSync(folder);
      writeFileSync(join(folder, "key"), `${key}\n`);
      return folder;
    };
    symlinkSync(version("v1", KEY1), join(dir, "..data"));
    symlinkSync(join("..data", "key"), join(dir, "key"));
    const e = await harness.startExporter(
      { NVIDIA_API_KEY_FILE: join(dir, "key"), NVIDIA_ORG_NAME: "lic-example", NVIDIA_API_BASE_URL: front.url, CACHE_TTL: "1s" },
      { waitUp: true, timeoutMs: 20_000 },
    );

    // Rewritten in place: CLS accepts the new key; the next refreshes send it.
    front.accept(KEY2);
    writeFileSync(join(dir, "v1", "key"), KEY2);
    await e.proc.waitForLine(/NVIDIA_API_KEY_FILE changed: the new API key is used from now on/, { timeoutMs: 10_000 });
    await waitFor("a call with the new key", () => (front.accepted.has(KEY2) ? true : undefined), { timeoutMs: 10_000 });

    // Swapped symlink to a key CLS rejects: the 401's hint says the file was re-read, and when.
    symlinkSync(version("v2", KEY3), join(dir, "..data.tmp"));
    renameSync(join(dir, "..data.tmp"), join(dir, "..data"));
    const m = await e.proc.waitForLine(
      /refresh failed.*reason=401.*hint="(CLS rejected the API key re-read from NVIDIA_API_KEY_FILE at [^"]+)"/,
      {
        timeoutMs: 15_000,
      },
    );
    expect(m[1]).toMatch(/at \d{4}-\d\d-\d\dT[\d:.]+Z \(the file changed\)/);

    // An empty file keeps the key in use (still KEY3, still rejected) and says so once.
    writeFileSync(join(dir, "v2", "key"), "");
    await e.proc.waitForLine(/NVIDIA_API_KEY_FILE changed but is empty; the previous API key is kept/, { timeoutMs: 10_000 });
    await Bun.sleep(2_500);
    expect(e.proc.output().match(/changed but is empty/g)).toHaveLength(1);

    expect(await e.proc.stop()).toBe(0);
    for (const key of [KEY1, KEY2, KEY3]) expect(e.proc.output()).not.toContain(key);
  }, 60_000);

  test("a rewritten bearer-token file is checked by the next request", async () => {
    const dir = harness.tempDir("cls-bearer-");
    const [old, next] = [`tok-${crypto.randomUUID()}`, `tok-${crypto.randomUUID()}`];
    writeFileSync(join(dir, "token"), old);
    const e = await harness.startExporter({
      NVIDIA_API_KEY: KEY1,
      NVIDIA_ORG_NAME: "lic-example",
      NVIDIA_API_BASE_URL: front.url,
      AUTH_BEARER_TOKEN_FILE: join(dir, "token"),
    });
    const status = async (token: string) => (await fetch(`${e.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).status;
    expect(await status(old)).toBe(200);
    writeFileSync(join(dir, "token"), `${next}\n`);
    await waitFor("the new token to be accepted", async () => ((await status(next)) === 200 ? true : undefined), { timeoutMs: 5_000 });
    expect(await status(old)).toBe(401);
    expect(e.proc.output()).toContain("AUTH_BEARER_TOKEN_FILE changed: the new bearer token is used from now on");
    expect(await e.proc.stop()).toBe(0);
  }, 30_000);
});

describe("signals", () => {
  test("SIGHUP reloads basic-auth users, keeps them when the new file is bad; SIGUSR1/2 are ignored", async () => {
    const dir = harness.tempDir("cls-hup-");
    const web = join(dir, "web.yml");
    writeFileSync(web, `basic_auth_users:\n  alice: ${hash("a-pass")}\n`);
    const e = await harness.startExporter({
      NVIDIA_API_KEY: KEY1,
      NVIDIA_ORG_NAME: "lic-example",
      NVIDIA_API_BASE_URL: front.url,
      WEB_CONFIG_FILE: web,
    });
    const status = async (user: string, password: string) => (await fetch(`${e.url}/metrics`, { headers: basic(user, password) })).status;
    expect(await status("bob", "b-pass")).toBe(401);

    writeFileSync(web, `basic_auth_users:\n  alice: ${hash("a-pass")}\n  bob: ${hash("b-pass")}\n`);
    e.proc.proc.kill("SIGHUP");
    await e.proc.waitForLine(/msg="reloaded on SIGHUP".*web_config="2 basic-auth user\(s\)"/, { timeoutMs: 5_000 });
    expect(await status("bob", "b-pass")).toBe(200);

    writeFileSync(web, "basic_auth_users:\n  carol: not-a-hash\n");
    e.proc.proc.kill("SIGHUP");
    await e.proc.waitForLine(/WEB_CONFIG_FILE cannot be used; the previous users are kept.*must be a bcrypt hash/, { timeoutMs: 5_000 });
    expect(await status("bob", "b-pass")).toBe(200);
    expect(await status("alice", "a-pass")).toBe(200);

    writeFileSync(web, `tls_server_config:\n  cert: x\n  key: y\nbasic_auth_users:\n  alice: ${hash("a-pass")}\n`);
    e.proc.proc.kill("SIGHUP");
    await e.proc.waitForLine(/TLS and header changes take effect at the next start/, { timeoutMs: 5_000 });

    for (const signal of ["SIGUSR1", "SIGUSR2"] as const) {
      e.proc.proc.kill(signal);
      await e.proc.waitForLine(new RegExp(`msg="signal ignored" signal=${signal}`), { timeoutMs: 5_000 });
    }
    expect((await fetch(`${e.url}/healthz`)).status).toBe(200);
    expect(await e.proc.stop()).toBe(0);
  }, 30_000);
});
