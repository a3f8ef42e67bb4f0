import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type Manifest, manifestSchema } from "../../src/capture/manifest.ts";
import { captureCommand } from "../../src/commands/capture.ts";
import { loadConfig } from "../../src/config/index.ts";
import { silentLogger } from "../../src/log.ts";
import type { FaultRuleInput } from "../../src/sim/faults.ts";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { generateOrg } from "../../src/sim/generate.ts";
import type { SimModel } from "../../src/sim/model.ts";
import { startSimulator } from "../../src/sim/server.ts";
import {
  captureTexts,
  clsSeries,
  exporterMetrics,
  occurrences,
  originalIdentities,
  pseudonymsOf,
  replayProcess,
  tempDir,
} from "./capture-helpers.ts";

// Characters that encode differently raw, URL-encoded and base64, so each form is looked for.
const KEY = "capture-key+/=Secret~7f3a9c";
const SECRET = "capture-test-secret";
const ROOT = tempDir("cls-capture-");
afterAll(() => rmSync(ROOT, { recursive: true, force: true }));
let dirs = 0;

const configFor = (url: string, org: string) =>
  loadConfig({
    env: { NVIDIA_API_KEY: KEY, NVIDIA_ORG_NAME: org, NVIDIA_API_BASE_URL: url, LISTEN_ADDRESS: "127.0.0.1:0" },
    argv: [],
    readFile: () => {
      throw new Error("no files");
    },
  });

const deps = {
  fetch: (u: string, i: RequestInit) => fetch(u, i),
  now: Date.now,
  log: silentLogger,
  build: { version: "t", revision: "t", bunVersion: "t" },
};

interface Org {
  model: SimModel;
  compressed?: boolean;
  faults?: FaultRuleInput[];
  /** Added after the exporter's own look (a failure that a retry recovers from: the same numbers either way). */
  atCapture?: FaultRuleInput[];
}

/** Capture `org` (with the test's fixed secret), replay the folder, and compare what the exporter shows of both. */
async function roundTrip(org: Org): Promise<{ dir: string; manifest: Manifest; code: number }> {
  const sim = startSimulator({ scenario: org.model, apiKey: KEY, compressedLeases: org.compressed ?? false });
  const dir = join(ROOT, `capture-${++dirs}`);
  try {
    if (org.faults) sim.setFaults(org.faults);
    const before = await exporterMetrics(sim.url, sim.orgName, KEY);
    if (org.atCapture) sim.setFaults([...org.atCapture, ...(org.faults ?? [])]);
    const result = await captureCommand(dir, configFor(sim.url, sim.orgName), { ...deps, secret: SECRET });
    const manifest = manifestSchema.parse(JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")));
    const replay = await replayProcess(dir);
    try {
      const after = await exporterMetrics(replay.url, manifest.org, "any-other-key");
      const expected = clsSeries(before, pseudonymsOf(SECRET));
      expect(expected.length).toBeGreaterThan(5);
      expect(clsSeries(after)).toEqual(expected);
    } finally {
      await replay.stop();
    }
    expectNothingLeaked(dir, org.model);
    return { dir, manifest, code: result.code };
  } finally {
    await sim.stop();
  }
}

function expectNothingLeaked(dir: string, model: SimModel): void {
  const texts = captureTexts(dir);
  const originals = originalIdentities(model);
  expect(originals.size).toBeGreaterThan(10);
  const leaks = [...originals].flatMap((o) => occurrences(texts, o));
  for (const form of [KEY, encodeURIComponent(KEY), Buffer.from(KEY).toString("base64"), Buffer.from(KEY).toString("base64url")]) {
    leaks.push(...occurrences(texts, form));
  }
  expect(leaks).toEqual([]);
}

// Two exporter processes and a replay process per org.
const ROUND_TRIP_MS = 30_000;

describe("--capture then --replay: the same numbers, no identity and no key in the folder", () => {
  test(
    "the example org",
    async () => {
      const model = loadScenario("lic-example");
      const originals = originalIdentities(model);
      // The scan looks for every kind of identity the issue names.
      for (const id of [
        "lic-example",
        "4101",
        "ee1f75a7-4ce5-589b-a846-44b96a1fc5dd",
        "cls-hq-prod",
        "PK-4101-01",
        "EMS-ENT-4101-0001",
        "2bb24860-6388-55c0-8c08-87127f57dc7d",
      ]) {
        expect(originals.has(id)).toBe(true);
      }
      const { code, manifest } = await roundTrip({ model });
      expect(code).toBe(0);
      expect(manifest.org).toBe(pseudonymsOf(SECRET).string("lic-example"));
    },
    ROUND_TRIP_MS,
  );

  test(
    "a paged org (groups and servers over several pages)",
    async () => {
      const model = generateOrg({
        orgName: "paged-org",
        virtualGroups: 3,
        serversPerGroup: 3,
        featuresPerServer: 2,
        leasesPerFeature: 2,
        seed: 7,
      });
      const { manifest } = await roundTrip({
        model,
        faults: [
          { endpoint: "virtual_groups", pageSize: 1 },
          { endpoint: "license_servers", pageSize: 2 },
        ],
      });
      expect(manifest.requests.filter((r) => r.path.endsWith("/virtual-groups")).length).toBeGreaterThanOrEqual(3);
    },
    ROUND_TRIP_MS,
  );

  test(
    "an org whose leases come compressed",
    async () => {
      const { dir, manifest } = await roundTrip({ model: loadScenario("lic-example"), compressed: true });
      const leases = manifest.requests.filter((r) => r.path.includes("/leases"));
      expect(leases.length).toBeGreaterThan(0);
      for (const r of leases) {
        const b = r.body;
        expect(b?.kind).toBe("json");
        if (b?.kind === "json") expect(readFileSync(join(dir, b.file), "utf8")).toContain('"compressedClients"');
      }
    },
    ROUND_TRIP_MS,
  );

  test(
    "a drifted org (unknown fields, wrong types, a missing id) and a failed call kept in the manifest",
    async () => {
      const { code, manifest } = await roundTrip({
        model: loadScenario("lic-example"),
        atCapture: [{ endpoint: "license_pools", status: 500, times: 1 }],
        faults: [
          { endpoint: "license_servers", drift: "extra-fields" },
          { endpoint: "leases", drift: "wrong-types" },
          { endpoint: "virtual_groups", drift: "missing-ids" },
        ],
      });
      expect(code).toBe(1);
      const failed = manifest.requests.filter((r) => r.status === 500);
      expect(failed.length).toBe(1);
      const retried = manifest.requests.filter((r) => r.path === failed[0]!.path);
      expect(retried.map((r) => r.status)).toEqual([500, 200]);
    },
    ROUND_TRIP_MS,
  );
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
