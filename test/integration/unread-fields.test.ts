/**
 * A changed API shows up in the logs before it shows up as wrong numbers: field names CLS sends that
 * the exporter does not read are logged once per endpoint and name, names only, never a value.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ENDPOINT_NAMES } from "../../src/cls/endpoints.ts";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import { Harness, waitFor } from "./harness.ts";

const KEY = `sim-${crypto.randomUUID()}`;
const harness = new Harness();
let sim: Simulator;

beforeAll(() => {
  sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: KEY });
});
afterAll(async () => {
  await harness.cleanup();
  await sim?.stop();
}, 30_000);

type Line = { level: string; msg: string; endpoint?: string; object?: string; field?: string };
const linesOf = (output: string): Line[] =>
  output
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Line);

describe("unread field names in a normal run", () => {
  test("drifted extra fields: each name logged once across refreshes, at info, and none of their values", async () => {
    // The simulator's "extra-fields" drift: `unexpectedTopLevel: {added: "by a newer CLS"}` on every answer and
    // `unexpectedField: [1, {nested: null}]` on every item of its list.
    sim.setFaults(ENDPOINT_NAMES.map((endpoint) => ({ endpoint, drift: "extra-fields" as const })));
    const exporter = await harness.startExporter(
      { NVIDIA_API_KEY: KEY, NVIDIA_ORG_NAME: "lic-example", NVIDIA_API_BASE_URL: sim.url, CACHE_TTL: "1s", LOG_FORMAT: "json" },
      { waitUp: true },
    );
    const refreshes = () => linesOf(exporter.proc.output()).filter((l) => l.msg === "refresh succeeded").length;
    await waitFor("three refreshes", () => (refreshes() >= 3 ? true : undefined), { timeoutMs: 20_000, intervalMs: 100 });

    const lines = linesOf(exporter.proc.output());
    const unknown = lines.filter((l) => l.field !== undefined && l.level === "info");
    // The fixture's own undocumented names are logged too; the drifted ones, each exactly once.
    const heard = unknown.map((l) => (l.object === "answer" ? `${l.endpoint} answer ${l.field}` : `${l.endpoint} ${l.field}`));
    for (const endpoint of ENDPOINT_NAMES)
      for (const name of [`${endpoint} answer unexpectedTopLevel`, `${endpoint} unexpectedField`])
        expect(
          heard.filter((h) => h === name),
          name,
        ).toHaveLength(1);
    expect(unknown.every((l) => l.msg.includes("does not know"))).toBe(true);
    // Read names are never logged; each documented name the exporter leaves unread at most once per endpoint, at debug.
    const documented = lines.filter((l) => l.field !== undefined && l.level === "debug");
    const read = ["virtualGroup id", "virtualGroup name", "licenseServer id", "licensePool id", "lease leaseId", "client leases"];
    expect([...unknown, ...documented].filter((l) => read.includes(`${l.object} ${l.field}`))).toEqual([]);
    expect(documented.length).toBeGreaterThan(0);
    const keys = [...unknown, ...documented].map((l) => `${l.endpoint}\n${l.field}`);
    expect(new Set(keys).size).toBe(keys.length);
    // The values the simulator sent in those fields, and the names inside them (not fields of a watched kind).
    const output = exporter.proc.output();
    for (const value of ["by a newer CLS", "nested", "added"]) expect(output).not.toContain(value);
    sim.clearFaults();
  }, 60_000);
});
