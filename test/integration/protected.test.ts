/**
 * Protected endpoints as users deploy them: the exporter process with a web config file (TLS,
 * basic auth with bcrypt, mutual TLS) and a bearer token file, reached over real HTTPS on
 * 127.0.0.1 by fetch, by the container health check and by a real Prometheus.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import { type Exporter, Harness, waitFor } from "./harness.ts";
import { startPrometheus } from "./prom.ts";

const API_KEY = "protected-test-key";
const PASSWORD = "prometheus-password-42";
const TOKEN = "bearer-token-0123456789";
const TLS = join(import.meta.dir, "..", "fixtures", "tls");
const pem = (name: string) => readFileSync(join(TLS, name), "utf8");
const CA = { ca: pem("ca.pem") };
const CLIENT = { ...CA, cert: pem("client.pem"), key: pem("client-key.pem") };
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

const harness = new Harness();
let sim: Simulator;
let dir: string;
let exporter: Exporter;
let mtls: Exporter;

beforeAll(async () => {
  sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: API_KEY });
  dir = harness.tempDir("cls-web-");
  const hash = Bun.password.hashSync(PASSWORD, { algorithm: "bcrypt", cost: 10 });
  // Relative paths: resolved against the web config file's folder, as exporter-toolkit does.
  for (const f of ["server.pem", "server-key.pem", "ca.pem"]) writeFileSync(join(dir, f), pem(f));
  writeFileSync(
    join(dir, "web.yml"),
    `tls_server_config:\n  cert_file: server.pem\n  key_file: server-key.pem\nbasic_auth_users:\n  prometheus: ${hash}\n`,
  );
  writeFileSync(
    join(dir, "mtls.yml"),
    "tls_server_config:\n  cert_file: server.pem\n  key_file: server-key.pem\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.pem\n",
  );
  writeFileSync(join(dir, "token"), `${TOKEN}\n`);
  const env = { NVIDIA_API_KEY: API_KEY, NVIDIA_ORG_NAME: "lic-example", NVIDIA_API_BASE_URL: sim.url };
  [exporter, mtls] = await Promise.all([
    harness.startExporter(
      { ...env, WEB_CONFIG_FILE: join(dir, "web.yml"), AUTH_BEARER_TOKEN_FILE: join(dir, "token") },
      { waitUp: true, tls: CA },
    ),
    harness.startExporter({ ...env, WEB_CONFIG_FILE: join(dir, "mtls.yml") }, { waitUp: true, tls: CLIENT }),
  ]);
}, 60_000);

afterAll(async () => {
  await harness.cleanup();
  await sim.stop();
}, 30_000);

describe("TLS, basic auth and a bearer token (WEB_CONFIG_FILE, AUTH_BEARER_TOKEN_FILE)", () => {
  test("serves HTTPS with the configured certificate, says so in its log, and refuses plain HTTP", async () => {
    expect(exporter.url).toStartWith("https://127.0.0.1:");
    expect(exporter.proc.output()).toMatch(/msg=listening url=https:\/\/127\.0\.0\.1:\d+ .*auth=basic\+bearer/);
    // A client that does not trust the test CA refuses the certificate.
    expect(
      await fetch(`${exporter.url}/healthz`).then(
        () => "connected",
        (e: Error) => e.message,
      ),
    ).not.toBe("connected");
    const plain = await fetch(`http://${exporter.host}/metrics`, { signal: AbortSignal.timeout(5_000) }).then(
      (r) => r.status,
      () => "refused",
    );
    expect(plain).not.toBe(200);
  });

  test("credentials: the password or the token gets /metrics, /history and /; anything else 401 with no detail; /healthz open", async () => {
    const get = (path: string, authorization?: string) =>
      fetch(`${exporter.url}${path}`, { tls: CA, headers: authorization ? { authorization } : {} });
    for (const path of ["/metrics", "/history?from=-1h", "/"]) {
      for (const good of [basic("prometheus", PASSWORD), `Bearer ${TOKEN}`]) expect((await get(path, good)).status).toBe(200);
      for (const bad of [undefined, basic("prometheus", "nope"), basic("admin", PASSWORD), `Bearer ${TOKEN}x`]) {
        const res = await get(path, bad);
        expect(res.status).toBe(401);
        expect(await res.text()).toBe("Unauthorized\n");
      }
    }
    expect((await get("/healthz")).status).toBe(200);
  });

  test("the container health check reaches /healthz over HTTPS", () => {
    const r = Bun.spawnSync([process.execPath, "run", "src/healthcheck.ts"], {
      env: { PATH: process.env.PATH ?? "", LISTEN_ADDRESS: exporter.host, WEB_CONFIG_FILE: join(dir, "web.yml") },
      stderr: "pipe",
    });
    expect(r.stderr.toString()).toBe("");
    expect(r.exitCode).toBe(0);
  });

  test("a real Prometheus scrapes it over HTTPS with basic auth; with a wrong password its target is down", async () => {
    writeFileSync(join(dir, "password"), PASSWORD);
    writeFileSync(join(dir, "wrong"), "wrong");
    const job = (name: string, passwordFile: string) =>
      `  - job_name: ${name}\n    scheme: https\n    tls_config:\n      ca_file: ${join(dir, "ca.pem")}\n    basic_auth:\n      username: prometheus\n      password_file: ${join(dir, passwordFile)}\n    static_configs:\n      - targets: ["${exporter.host}"]\n`;
    const prom = await startPrometheus(
      harness,
      `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n${job("good", "password")}${job("bad", "wrong")}`,
    );
    const up = async (name: string) => (await prom.query(`up{job="${name}"}`))[0]?.value[1];
    await waitFor("both targets scraped", async () =>
      (await up("good")) !== undefined && (await up("bad")) !== undefined ? true : undefined,
    );
    await waitFor("the good target up and its data stored", async () =>
      (await up("good")) === "1" && (await prom.query('nvidia_cls_up{job="good"}'))[0]?.value[1] === "1" ? true : undefined,
    );
    expect(await up("bad")).toBe("0");
    const targets = await prom.api<{ activeTargets: { labels: { job: string }; lastError: string }[] }>("/api/v1/targets");
    expect(targets.activeTargets.find((t) => t.labels.job === "bad")?.lastError).toContain("401");
  }, 60_000);
});

describe("a flood of wrong passwords (bcrypt cost 10) cannot lock out the right one", () => {
  type Answer = { status: number; retryAfter: string | null };
  let fresh: Exporter;
  const get = (authorization: string): Promise<Answer> =>
    fetch(`${fresh.url}/metrics`, { headers: { authorization } }).then(async (r) => {
      await r.arrayBuffer();
      return { status: r.status, retryAfter: r.headers.get("retry-after") };
    });

  beforeAll(async () => {
    // Two users, so each case meets a password not yet remembered, as just after a restart.
    const hash = Bun.password.hashSync(PASSWORD, { algorithm: "bcrypt", cost: 10 });
    writeFileSync(join(dir, "two-users.yml"), `basic_auth_users:\n  first: ${hash}\n  second: ${hash}\n`);
    const env = { NVIDIA_API_KEY: API_KEY, NVIDIA_ORG_NAME: "lic-example", NVIDIA_API_BASE_URL: sim.url };
    fresh = await harness.startExporter({ ...env, WEB_CONFIG_FILE: join(dir, "two-users.yml") });
  }, 60_000);

  test("one wrong password kept in flight 50 times: one bcrypt run, 401s from memory, the right password gets 200", async () => {
    let flooding = true;
    const flood = Array.from({ length: 50 }, async () => {
      const seen = new Set<number>();
      while (flooding) seen.add((await get(basic("first", "the-same-guess"))).status);
      return [...seen];
    });
    await Bun.sleep(300);
    expect((await get(basic("first", PASSWORD))).status).toBe(200);
    flooding = false;
    expect(new Set((await Promise.all(flood)).flat())).toEqual(new Set([401]));
  }, 30_000);

  test("50 distinct guesses in flight, then the right password: 200; the guesses get 401, or 503 with Retry-After", async () => {
    let answered = 0;
    const distinct = Array.from({ length: 50 }, (_, i) =>
      get(basic("second", `guess-${i}`)).then((a) => {
        answered++;
        return a;
      }),
    );
    // All 50 have arrived once all but the four held (two checked, two waiting) were refused for load.
    await waitFor("the guesses to arrive", () => (answered >= 46 ? true : undefined), { intervalMs: 5 });
    expect((await get(basic("second", PASSWORD))).status).toBe(200);
    const answers = await Promise.all(distinct);
    for (const a of answers) expect(a.status === 401 || (a.status === 503 && a.retryAfter === "1")).toBe(true);
    expect(answers.filter((a) => a.status === 503).length).toBeGreaterThanOrEqual(46);
    expect(fresh.proc.output()).toMatch(/msg="too many credential checks at once; refused with 503 until bcrypt catches up" refused=1 /);
  }, 30_000);
});

describe("mutual TLS (client_auth_type RequireAndVerifyClientCert)", () => {
  test("the container health check, which has no client certificate, checks that the port accepts connections", () => {
    const r = Bun.spawnSync([process.execPath, "run", "src/healthcheck.ts"], {
      env: { PATH: process.env.PATH ?? "", LISTEN_ADDRESS: mtls.host, WEB_CONFIG_FILE: join(dir, "mtls.yml") },
      stderr: "pipe",
    });
    expect(r.stderr.toString()).toBe("");
    expect(r.exitCode).toBe(0);
  });

  test("a client certificate signed by client_ca_file is required, for every path", async () => {
    for (const path of ["/metrics", "/healthz"]) {
      expect((await fetch(`${mtls.url}${path}`, { tls: CLIENT })).status).toBe(200);
      const without = await fetch(`${mtls.url}${path}`, { tls: CA, signal: AbortSignal.timeout(5_000) }).then(
        (r) => r.status,
        (e: Error) => e.message,
      );
      expect(without).not.toBe(200);
    }
  });
});
