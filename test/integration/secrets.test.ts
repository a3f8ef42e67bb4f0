/**
 * The API key (and the other secrets: bearer token, basic-auth password, OTLP header value) must
 * appear nowhere the exporter writes or serves: its output and logs, /metrics, /history, /, error
 * messages, OTLP pushes, its command line, or the SQLite file. The exporter runs through start,
 * refreshes, CLS faults whose bodies echo the key back, OTLP push and SIGTERM.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import { Harness, waitFor } from "./harness.ts";
import { type Receiver, startReceiver } from "./otlp-receiver.ts";

const KEY = `nvapi-${crypto.randomUUID()}`;
const TOKEN = `tok-${crypto.randomUUID()}`;
const PASSWORD = `pw-${crypto.randomUUID()}`;
const OTLP_SECRET = `otlp-${crypto.randomUUID()}`;
const SECRETS = { KEY, TOKEN, PASSWORD, OTLP_SECRET };

const harness = new Harness();
let sim: Simulator;
let receiver: Receiver;

beforeAll(async () => {
  sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: KEY });
  receiver = await startReceiver();
});
afterAll(async () => {
  await harness.cleanup();
  await receiver?.stop();
  await sim?.stop();
}, 30_000);

/** Fails naming the secret and where it was found; the secret itself is not printed. */
function expectClean(where: string, text: string, secrets: Record<string, string> = SECRETS): void {
  for (const [name, secret] of Object.entries(secrets)) {
    const found =
      text.includes(secret) || text.includes(encodeURIComponent(secret)) || text.includes(Buffer.from(secret).toString("base64"));
    expect(found, `${name} found in ${where}`).toBe(false);
  }
}

/** Neither the key in any encoding, nor its first 12 characters (what a cut through it would leave). */
function expectNoPart(where: string, text: string, key: string): void {
  const json = JSON.stringify(key).slice(1, -1);
  const base64 = [0, 1, 2].map((pad) =>
    Buffer.from(`${"u".repeat(pad)}${key}`)
      .toString("base64")
      .slice(4, -4),
  );
  const forms = { raw: key, json, url: encodeURIComponent(key), prefix: key.slice(0, 12), jsonPrefix: json.slice(0, 12) };
  for (const [name, form] of Object.entries({ ...forms, ...Object.fromEntries(base64.map((b, i) => [`base64 at offset ${i}`, b])) }))
    expect(text.includes(form), `${name} form of the key found in ${where}`).toBe(false);
}

describe("the API key and other secrets never leak", () => {
  test("through start, refreshes, faults echoing the key, OTLP push, /history and SIGTERM", async () => {
    const dir = harness.tempDir("cls-secrets-");
    const db = join(dir, "history.db");
    writeFileSync(join(dir, "key"), `${KEY}\n`);
    writeFileSync(join(dir, "token"), TOKEN);
    writeFileSync(
      join(dir, "web.yml"),
      `basic_auth_users:\n  prometheus: ${Bun.password.hashSync(PASSWORD, { algorithm: "bcrypt", cost: 4 })}\n`,
    );
    const e = await harness.startExporter(
      {
        NVIDIA_API_KEY_FILE: join(dir, "key"),
        NVIDIA_ORG_NAME: "lic-example",
        NVIDIA_API_BASE_URL: sim.url,
        CACHE_TTL: "1s",
        SCRAPE_TIMEOUT: "2s",
        LOG_LEVEL: "debug",
        DB_PATH: db,
        WEB_CONFIG_FILE: join(dir, "web.yml"),
        AUTH_BEARER_TOKEN_FILE: join(dir, "token"),
        OTEL_ENABLED: "true",
        OTEL_ENDPOINT: `127.0.0.1:${receiver.port}`,
        OTEL_PUSH_INTERVAL: "1s",
        OTEL_EXPORTER_OTLP_HEADERS: `x-collector-token=${OTLP_SECRET}`,
      },
      { waitUp: true },
    );
    const auth = { authorization: `Bearer ${TOKEN}` };
    const get = async (path: string, headers: Record<string, string> = auth) => (await fetch(`${e.url}${path}`, { headers })).text();

    // Faults whose bodies (or error texts) carry the key back to the exporter.
    const echo = { status: 401, message: `invalid x-api-key ${KEY}` };
    const rounds: Parameters<Simulator["setFaults"]>[0][] = [
      [{ endpoint: "virtual_groups", status: 401, body: echo }],
      [{ endpoint: "license_servers", status: 500, body: { message: `upstream said ${KEY}` } }],
      [{ endpoint: "leases", status: 200, rawBody: `<html>${KEY}</html>` }],
      [{ endpoint: "license_pools", malformed: true, body: { licensePools: [], note: KEY } }],
      [{ endpoint: "virtual_groups", status: 404, body: { error: KEY } }],
      [{ endpoint: "leases", hang: true }],
    ];
    for (const rules of rounds) {
      sim.setFaults(rules);
      const seen = sim.stats().total;
      await waitFor("the exporter to call CLS under the fault", () => (sim.stats().total > seen + 1 ? true : undefined), {
        timeoutMs: 15_000,
      });
      await Bun.sleep(1_200); // let the refresh end and log
    }
    sim.clearFaults();
    await e.proc.waitForLine(/recovered_after_failed_refreshes/, { timeoutMs: 20_000 });
    await waitFor("OTLP pushes", () => (receiver.pushes.length >= 3 ? true : undefined), { timeoutMs: 15_000 });

    // Everything served, to every kind of client, authorised or not.
    const served = [
      await get("/metrics"),
      await get("/metrics", { ...auth, accept: "application/openmetrics-text;version=1.0.0" }),
      await get("/"),
      await get("/healthz", {}),
      await get("/history?from=-1h"),
      await get("/history?from=-1h&format=csv"),
      await get("/history?from=nonsense"),
      await get("/nope"),
      await get("/metrics", { authorization: `Basic ${btoa(`prometheus:${PASSWORD}x`)}` }),
      await get("/metrics", {}),
    ];
    expect(served[0]).toContain("nvidia_cls_refresh_errors_total");
    expectClean("responses", served.join("\n"));
    // The pushes carry the OTLP header (its purpose), never the key.
    expectClean(
      "OTLP pushes (resource and data points)",
      JSON.stringify(
        receiver.pushes.map((p) => ({ resource: p.resource, metrics: p.metrics })),
        (_k, v) => (typeof v === "bigint" ? String(v) : v),
      ),
    );
    expectClean("OTLP push metadata", JSON.stringify(receiver.pushes.map((p) => p.metadata)), { KEY, TOKEN, PASSWORD });
    // The process list shows the command line: the key came from a file.
    expectClean("the command line", readFileSync(`/proc/${e.proc.proc.pid}/cmdline`, "utf8"));

    expect(await e.proc.stop()).toBe(0);
    const output = e.proc.output();
    // The faults really reached the exporter and were logged, scrubbed.
    expect(output).toContain("[redacted]");
    expect(output).toMatch(/reason=401/);
    expectClean("the exporter's output and logs", output);
    for (const file of [db, `${db}-wal`, `${db}-shm`].filter(existsSync))
      expectClean(`the database (${file})`, readFileSync(file).toString("latin1"));
  }, 120_000);

  test("a key with quotes and backslashes, echoed raw, JSON-escaped, URL-encoded, base64 and across the cuts", async () => {
    // Printable ASCII, so a valid key, and every character that JSON or a URL would escape.
    const key = `nvapi-"${crypto.randomUUID()}\\q/`;
    const echoSim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: key });
    try {
      const dir = harness.tempDir("cls-secrets-echo-");
      const db = join(dir, "history.db");
      writeFileSync(join(dir, "key"), key);
      const e = await harness.startExporter(
        {
          NVIDIA_API_KEY_FILE: join(dir, "key"),
          NVIDIA_ORG_NAME: "lic-example",
          NVIDIA_API_BASE_URL: echoSim.url,
          CACHE_TTL: "1s",
          SCRAPE_TIMEOUT: "2s",
          LOG_LEVEL: "debug",
          DB_PATH: db,
        },
        { waitUp: true },
      );
      const html = (status: number, text: string) => ({ status, rawBody: text });
      const rounds: Parameters<Simulator["setFaults"]>[0][] = [
        // At offset 190: an excerpt cut to 200 characters before redaction kept its first 10.
        [{ endpoint: "virtual_groups", ...html(401, `${"a".repeat(190)}${key} rejected`) }],
        [{ endpoint: "virtual_groups", status: 401, body: { message: `invalid x-api-key ${key}` } }],
        [{ endpoint: "license_servers", ...html(500, `retry with key=${encodeURIComponent(key)}`) }],
        [{ endpoint: "license_servers", ...html(403, `Authorization: Basic ${btoa(`user:${key}`)}`) }],
        [{ endpoint: "leases", ...html(502, `${"b".repeat(4_096 - 12)}${key}${"c".repeat(10_000)}`) }],
        [{ endpoint: "license_pools", ...html(500, `${"d".repeat(4_096 - 20)}${JSON.stringify(key)}`) }],
      ];
      for (const rules of rounds) {
        echoSim.setFaults(rules);
        const seen = echoSim.stats().total;
        await waitFor("the exporter to call CLS under the fault", () => (echoSim.stats().total > seen + 1 ? true : undefined), {
          timeoutMs: 15_000,
        });
        await Bun.sleep(1_200);
      }
      // Served while the last failure is the current one, then again after recovery.
      const served = [await (await fetch(`${e.url}/healthz`)).text(), await (await fetch(`${e.url}/metrics`)).text()];
      echoSim.clearFaults();
      await e.proc.waitForLine(/recovered_after_failed_refreshes/, { timeoutMs: 20_000 });
      for (const path of ["/metrics", "/healthz", "/", "/history?from=-1h", "/history?from=-1h&format=csv"])
        served.push(await (await fetch(`${e.url}${path}`)).text());
      expect(await e.proc.stop()).toBe(0);
      const output = e.proc.output();
      expect(output).toContain("[redacted]");
      expectNoPart("responses", served.join("\n"), key);
      expectNoPart("the exporter's output and logs", output, key);
      for (const file of [db, `${db}-wal`, `${db}-shm`].filter(existsSync))
        expectNoPart(`the database (${file})`, readFileSync(file).toString("latin1"), key);
    } finally {
      await echoSim.stop();
    }
  }, 120_000);

  test("a key given as a flag works, is warned about, and is not logged", async () => {
    const e = await harness.startExporter(
      { NVIDIA_ORG_NAME: "lic-example", NVIDIA_API_BASE_URL: sim.url },
      { waitUp: true, args: ["-nvidia-api-key", KEY] },
    );
    expect(e.proc.output()).toContain("the API key was given as a flag, which any user can read in the process list");
    expect(await e.proc.stop()).toBe(0);
    expectClean("the exporter's output", e.proc.output(), { KEY });
  }, 60_000);

  test("configuration errors never quote the key: after a mistyped flag, or a key that cannot be sent", async () => {
    for (const [argv, env, says] of [
      [["-nvidia-api-kye", KEY], { NVIDIA_API_KEY: "x", NVIDIA_ORG_NAME: "o" }, "unknown flag -nvidia-api-kye"],
      [[], { NVIDIA_API_KEY: `${KEY} ${KEY}`, NVIDIA_ORG_NAME: "o" }, "NVIDIA_API_KEY must be printable ASCII"],
    ] as const) {
      const p = harness.spawn("exporter", [process.execPath, "run", "src/index.ts", ...argv], { ...env });
      expect(await p.proc.exited).toBe(2);
      await p.stop();
      expect(p.output()).toContain(says);
      expectClean("the error message", p.output(), { KEY });
    }
  }, 30_000);
});
