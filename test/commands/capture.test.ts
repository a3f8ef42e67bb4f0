import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { generateOrg } from "../../src/sim/generate.ts";
import { originalIdentities, pseudonymsOf, tempDir } from "./capture-helpers.ts";
import { roundTrip, SECRET } from "./capture-round-trip.ts";

const ROOT = tempDir("cls-capture-");
afterAll(() => rmSync(ROOT, { recursive: true, force: true }));
let dirs = 0;
const next = () => join(ROOT, `capture-${++dirs}`);

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
      const { code, manifest } = await roundTrip(next(), { model });
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
      const { manifest } = await roundTrip(next(), {
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
      const { dir, manifest } = await roundTrip(next(), { model: loadScenario("lic-example"), compressed: true });
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
      const { code, manifest } = await roundTrip(next(), {
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
