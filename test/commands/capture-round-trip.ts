import { expect } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Manifest, manifestSchema } from "../../src/capture/manifest.ts";
import { captureCommand } from "../../src/commands/capture.ts";
import { loadConfig } from "../../src/config/index.ts";
import { silentLogger } from "../../src/log.ts";
import type { FaultRuleInput } from "../../src/sim/faults.ts";
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
} from "./capture-helpers.ts";

// Characters that encode differently raw, URL-encoded and base64, so each form is looked for.
export const KEY = "capture-key+/=Secret~7f3a9c";
export const SECRET = "capture-test-secret";

export const configFor = (url: string, org: string, env: Record<string, string> = {}) =>
  loadConfig({
    env: { NVIDIA_API_KEY: KEY, NVIDIA_ORG_NAME: org, NVIDIA_API_BASE_URL: url, LISTEN_ADDRESS: "127.0.0.1:0", ...env },
    argv: [],
    readFile: () => {
      throw new Error("no files");
    },
  });

export const deps = {
  fetch: (u: string, i: RequestInit) => fetch(u, i),
  now: Date.now,
  log: silentLogger,
  build: { version: "t", revision: "t", bunVersion: "t" },
};

export interface Org {
  model: SimModel;
  compressed?: boolean;
  faults?: FaultRuleInput[];
  /** Added after the exporter's own look (a failure that a retry recovers from: the same numbers either way). */
  atCapture?: FaultRuleInput[];
  /** Settings of the exporter, at capture and at replay alike. */
  env?: Record<string, string>;
}

/** Capture `org` into `dir` (with the test's fixed secret), replay the folder, and compare what the exporter shows of both. */
export async function roundTrip(dir: string, org: Org): Promise<{ dir: string; manifest: Manifest; code: number }> {
  const sim = startSimulator({ scenario: org.model, apiKey: KEY, compressedLeases: org.compressed ?? false });
  try {
    if (org.faults) sim.setFaults(org.faults);
    const before = await exporterMetrics(sim.url, sim.orgName, KEY, org.env);
    if (org.atCapture) sim.setFaults([...org.atCapture, ...(org.faults ?? [])]);
    const result = await captureCommand(dir, configFor(sim.url, sim.orgName, org.env), { ...deps, secret: SECRET });
    const manifest = manifestSchema.parse(JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")));
    const replay = await replayProcess(dir);
    try {
      const after = await exporterMetrics(replay.url, manifest.org, "any-other-key", org.env);
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
