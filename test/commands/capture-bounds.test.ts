import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { CAPTURE_FORMAT, manifestSchema } from "../../src/capture/manifest.ts";
import { captureCommand } from "../../src/commands/capture.ts";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { serveReplay } from "../../src/sim/replay-server.ts";
import { startSimulator } from "../../src/sim/server.ts";
import { pseudonymsOf, tempDir } from "./capture-helpers.ts";
import { configFor, deps, KEY, roundTrip, SECRET } from "./capture-round-trip.ts";

const ROUND_TRIP_MS = 30_000;
const ROOT = tempDir("cls-capture-");
afterAll(() => rmSync(ROOT, { recursive: true, force: true }));
let dirs = 0;
const next = () => join(ROOT, `capture-${++dirs}`);

describe("--capture's bounds and the replay's answers", () => {
  test(
    "an answer over CLS_MAX_RESPONSE_BYTES (plain, or gzip that inflates past it) is recorded as cut, and refused again on replay",
    async () => {
      const { code, manifest } = await roundTrip(next(), {
        model: loadScenario("lic-example"),
        env: { CLS_MAX_RESPONSE_BYTES: "10kB" },
        faults: [
          { endpoint: "license_pools", hugeBody: 20_000 },
          { endpoint: "leases", gzipBomb: 20_000 },
        ],
      });
      expect(code).toBe(1);
      const cut = manifest.requests.filter((r) => r.body?.kind === "cut").map((r) => r.path.split("/").slice(-2).join("/"));
      expect(cut.some((p) => p.endsWith("license-pools"))).toBe(true);
      expect(cut.some((p) => p.startsWith("leases"))).toBe(true);
    },
    ROUND_TRIP_MS,
  );

  test("the replay: an unmatched request is a 404 naming it; --api-key makes it check the key", async () => {
    const sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: KEY });
    const dir = join(ROOT, "replay-answers");
    try {
      await captureCommand(dir, configFor(sim.url, sim.orgName), { ...deps, secret: SECRET });
    } finally {
      await sim.stop();
    }
    const org = pseudonymsOf(SECRET).string("lic-example");
    const open = await serveReplay(dir, {});
    const checked = await serveReplay(dir, { apiKey: "replay-key" });
    try {
      const path = `/v1/org/${org}/virtual-groups?detailedView=true&page-number=1&page-size=100`;
      expect((await fetch(`${open.url}${path}`, { headers: { "x-api-key": "anything" } })).status).toBe(200);
      const missing = await fetch(`${open.url}/v1/org/${org}/virtual-groups/1/license-servers`);
      expect(missing.status).toBe(404);
      expect(await missing.text()).toContain("the capture holds no answer to GET /v1/org/");
      expect((await fetch(`${checked.url}${path}`, { headers: { "x-api-key": "anything" } })).status).toBe(401);
      expect((await fetch(`${checked.url}${path}`, { headers: { "x-api-key": "replay-key" } })).status).toBe(200);
    } finally {
      await open.stop();
      await checked.stop();
    }
  });
});

test("the replay of a call whose network failed: the client's read of it fails again", async () => {
  const dir = next();
  const entry = { seq: 1, method: "GET", path: "/v1/org/o/virtual-groups", query: {}, requestHeaders: {}, startedMs: 0, durationMs: 1 };
  const manifest = {
    format: CAPTURE_FORMAT,
    org: "o",
    exporterVersion: "t",
    capturedAt: "2026-01-01T00:00:00Z",
    requests: [{ ...entry, outcome: "network", error: "ConnectionRefused" }],
  };
  await Bun.write(join(dir, "manifest.json"), JSON.stringify(manifestSchema.parse(manifest)));
  const replay = await serveReplay(dir, {});
  try {
    const read = fetch(`${replay.url}/v1/org/o/virtual-groups`).then((r) => r.arrayBuffer());
    await expect(read).rejects.toThrow();
  } finally {
    await replay.stop();
  }
});

describe("--capture DIR's folder", () => {
  test("a folder that is not empty: exit 2, nothing refreshed or written", async () => {
    const dir = join(ROOT, "full");
    await Bun.write(join(dir, "keep.txt"), "mine");
    const r = Bun.spawnSync([process.execPath, "run", new URL("../../src/index.ts", import.meta.url).pathname, "--capture", dir], {
      env: { PATH: process.env.PATH ?? "", NVIDIA_API_KEY: KEY, NVIDIA_ORG_NAME: "o", NVIDIA_API_BASE_URL: "http://127.0.0.1:9" },
    });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.toString()).toContain("is not empty");
    expect(r.stdout.toString() + r.stderr.toString()).not.toContain(KEY);
  });

  test("a disk that fills: a clear message and exit 1, not a crash", async () => {
    const sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: KEY });
    try {
      const enospc = async () => {
        throw Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
      };
      const r = await captureCommand(join(ROOT, "no-space"), configFor(sim.url, sim.orgName), {
        ...deps,
        secret: SECRET,
        writeFile: enospc,
      });
      expect(r.code).toBe(1);
      expect(r.summary).toContain("the disk is full");
    } finally {
      await sim.stop();
    }
  });
});

describe("--capture against a CLS that hangs", () => {
  test("the refresh's deadline ends it: a body that stops is recorded as broken, the manifest still written, exit 1", async () => {
    // Headers, the start of a list, then nothing: the recorder reads the body before the client does.
    const hung = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () =>
        new Response(
          new ReadableStream({
            start(c) {
              c.enqueue(new TextEncoder().encode('{"virtualGroups":['));
            },
          }),
          { headers: { "content-type": "application/json" } },
        ),
    });
    try {
      const dir = join(ROOT, "hung");
      const r = await captureCommand(dir, configFor(`http://127.0.0.1:${hung.port}`, "o", { SCRAPE_TIMEOUT: "3s" }), deps);
      expect(r.code).toBe(1);
      const manifest = manifestSchema.parse(await Bun.file(join(dir, "manifest.json")).json());
      expect(manifest.requests.length).toBeGreaterThan(0);
      expect(manifest.requests.every((q) => q.body?.kind === "broken" || q.outcome === "timeout")).toBe(true);
    } finally {
      hung.stop(true);
    }
  }, 20_000);
});
