/**
 * SIGTERM and SIGINT on the exporter process while things hang: a refresh stuck on a CLS call that
 * never answers, a scrape waiting for the first snapshot, an OTLP collector that accepts TCP and never
 * answers. The process must stop accepting, finish the request in flight, push once more, close the
 * database and exit 0 within 10 s.
 */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import { Harness, waitFor } from "./harness.ts";
import { type Receiver, startReceiver } from "./otlp-receiver.ts";

const API_KEY = "shutdown-test-key";
const harness = new Harness();
let sim: Simulator;

beforeAll(() => {
  sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: API_KEY });
});
afterAll(async () => {
  await harness.cleanup();
  await sim.stop();
}, 30_000);

const env = (db: string, otlpPort: number) => ({
  NVIDIA_API_KEY: API_KEY,
  NVIDIA_ORG_NAME: "lic-example",
  NVIDIA_API_BASE_URL: sim.url,
  SCRAPE_TIMEOUT: "30s",
  DB_PATH: db,
  OTEL_ENABLED: "true",
  OTEL_ENDPOINT: `127.0.0.1:${otlpPort}`,
  OTEL_PUSH_INTERVAL: "1h",
});

/** Resolves "refused" when nothing listens on the port any more, "accepted" when a connection opens. */
const tryConnect = (port: number) =>
  new Promise<"refused" | "accepted">((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve("accepted");
    });
    socket.once("error", () => resolve("refused"));
  });

test.each(["SIGTERM", "SIGINT"] as const)(
  "%s while the first refresh hangs and a scrape waits for it: the scrape is answered, a final push is made, the database is closed, exit 0 within 10 s",
  async (signal) => {
    let receiver: Receiver | undefined;
    try {
      receiver = await startReceiver();
      sim.setFaults([{ endpoint: "virtual_groups", hang: true }]);
      const db = join(harness.tempDir("cls-shutdown-"), "history.db");
      const e = await harness.startExporter(env(db, receiver.port));
      await waitFor("the exporter's call to hang in the simulator", () =>
        (sim.stats().byEndpoint.virtual_groups ?? 0) >= 1 ? true : undefined,
      );
      // Nothing to serve yet: this scrape waits for the hanging refresh (up to SCRAPE_TIMEOUT, 30 s).
      // It goes over the kept-alive connection of the health check, and is given a second to be read
      // (a request still in the socket buffer when the listener closes is not "in flight").
      await (await fetch(`${e.url}/healthz`)).text();
      const inFlight = fetch(`${e.url}/metrics`).then(async (r) => ({ status: r.status, body: await r.text() }));
      await Bun.sleep(1_000);
      const pushesBefore = receiver.pushes.length;
      const started = Date.now();
      e.proc.proc.kill(signal);
      const scraped = await inFlight;
      const code = await e.proc.proc.exited;
      const tookMs = Date.now() - started;

      expect(code).toBe(0);
      expect(tookMs).toBeLessThan(10_000);
      // The request in flight was finished, not cut: the answer for "CLS has not answered".
      expect(scraped.status).toBe(200);
      expect(scraped.body).toMatch(/^nvidia_cls_up\{org_name="lic-example"\} 0$/m);
      // The final push went out (up 0 as well).
      expect(receiver.pushes.length).toBeGreaterThan(pushesBefore);
      // A cleanly closed SQLite database in WAL mode leaves no -wal file behind, and is intact.
      expect(existsSync(`${db}-wal`)).toBe(false);
      const check = new Database(db, { readonly: true });
      expect(check.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
      check.close();
      expect(e.proc.output()).toContain(`msg="shutting down" signal=${signal}`);
      expect(e.proc.output()).toMatch(/msg=stopped after_ms=\d+/);
      expect(e.proc.output()).not.toMatch(/level=error/);
    } finally {
      sim.clearFaults();
      await receiver?.stop();
    }
  },
  30_000,
);

test("SIGTERM with a refresh hanging and a black-holed collector: new connections are refused at once, exit 0 within 10 s", async () => {
  const hole = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  try {
    sim.setFaults([{ endpoint: "leases", hang: true }]);
    const db = join(harness.tempDir("cls-shutdown-"), "history.db");
    const e = await harness.startExporter({ ...env(db, hole.port), OTEL_EXPORTER_OTLP_TIMEOUT: "30000" });
    const port = Number(new URL(e.url).port);
    await waitFor("a leases call to hang", () => ((sim.stats().byEndpoint.leases ?? 0) >= 1 ? true : undefined));
    const started = Date.now();
    e.proc.proc.kill("SIGTERM");
    await e.proc.waitForLine(/msg="shutting down"/);
    // The final push to the black hole keeps the process busy for seconds; it must not accept meanwhile.
    const during = await tryConnect(port);
    const stillRunning = !e.proc.exited();
    const code = await e.proc.proc.exited;
    expect(during).toBe("refused");
    expect(stillRunning).toBe(true);
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(existsSync(`${db}-wal`)).toBe(false);
  } finally {
    sim.clearFaults();
    hole.stop(true);
  }
}, 30_000);
