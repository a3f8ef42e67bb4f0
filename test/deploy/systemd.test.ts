/**
 * deploy/systemd/: the unit passes `systemd-analyze verify` (where systemd is installed: `.ci/run`
 * installs it) and names only settings the exporter has, at the places its hardening leaves writable.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DB_FILE_NAME, OTEL_STANDARD, SETTINGS } from "../../src/config/settings.ts";

const dir = new URL("../../deploy/systemd/", import.meta.url).pathname;
const unitText = await Bun.file(join(dir, "nvidia-cls-exporter.service")).text();
const envText = await Bun.file(join(dir, "exporter.env")).text();

/** Every `Key=value` of a section, in order (systemd allows a key more than once). */
function section(text: string, name: string): [string, string][] {
  const out: [string, string][] = [];
  let current = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) current = header[1]!;
    else if (current === name) {
      const eq = line.indexOf("=");
      out.push([line.slice(0, eq), line.slice(eq + 1)]);
    }
  }
  return out;
}

const service = section(unitText, "Service");
const one = (key: string): string => {
  const values = service.filter(([k]) => k === key).map(([, v]) => v);
  expect(values, key).toHaveLength(1);
  return values[0]!;
};
const environment = new Map(service.filter(([k]) => k === "Environment").map(([, v]) => v.split("=", 2) as [string, string]));
const envFile = new Map(
  envText
    .split("\n")
    .filter((l) => l.trim() !== "" && !l.startsWith("#"))
    .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
);
const known = new Set([...SETTINGS.map((s) => s.env), ...OTEL_STANDARD.map((s) => s.env)]);

const scratch: string[] = [];
afterAll(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

const analyze = Bun.which("systemd-analyze");
// `verify` also checks that ExecStart's program exists: the binary is not installed here, so the copy
// verified starts a stand-in at another path, and the next test pins the real ExecStart.
test.skipIf(!analyze)("systemd-analyze verify finds nothing to say about the unit", () => {
  const tmp = mkdtempSync(join(tmpdir(), "systemd-unit-"));
  scratch.push(tmp);
  const bin = join(tmp, "nvidia-cls-exporter");
  writeFileSync(bin, "#!/bin/sh\n", { mode: 0o755 });
  const copy = unitText.replace(/^ExecStart=\/usr\/local\/bin\/nvidia-cls-exporter$/m, `ExecStart=${bin}`);
  expect(copy).not.toBe(unitText);
  const unit = join(tmp, "nvidia-cls-exporter.service");
  writeFileSync(unit, copy);
  const r = Bun.spawnSync([analyze!, "verify", "--man=no", unit], { stdout: "pipe", stderr: "pipe" });
  const said = `${r.stdout.toString()}${r.stderr.toString()}`;
  // verify exits 0 on an unknown key or a bad value, and only warns: anything it says fails the test.
  expect(said).toBe("");
  expect(r.exitCode).toBe(0);
});

describe("the unit", () => {
  test("starts the standalone binary, restarts it on failure and reloads with SIGHUP", () => {
    expect(one("ExecStart")).toBe("/usr/local/bin/nvidia-cls-exporter");
    expect(one("Restart")).toBe("on-failure");
    expect(one("ExecReload")).toBe("kill -HUP $MAINPID");
  });

  test("sets only variables the exporter reads, the key never among them", () => {
    for (const name of [...environment.keys(), ...envFile.keys()]) expect(known.has(name), `${name} is not a setting`).toBe(true);
    for (const values of [environment, envFile]) {
      expect(values.has("NVIDIA_API_KEY")).toBe(false);
      expect(values.has("DATABASE_URL")).toBe(false);
    }
    expect(envFile.get("NVIDIA_ORG_NAME")).toBeDefined();
  });

  test("keeps the history in its state folder, the only folder it may write", () => {
    const state = one("StateDirectory");
    expect(environment.get("DB_PATH")).toBe(`%S/${state}/${DB_FILE_NAME}`);
    expect(one("DynamicUser")).toBe("yes");
    expect(one("ProtectSystem")).toBe("strict");
    expect(service.some(([k]) => k === "ReadWritePaths")).toBe(false);
  });

  test("reads the key from its credential through NVIDIA_API_KEY_FILE", () => {
    const [name, source] = one("LoadCredential").split(":", 2) as [string, string];
    expect(environment.get("NVIDIA_API_KEY_FILE")).toBe(`%d/${name}`);
    // The header's install commands write the files the unit reads.
    expect(unitText).toContain(`> ${source})`);
    expect(unitText).toContain(`deploy/systemd/exporter.env ${one("EnvironmentFile")}`);
  });

  test("is hardened, and leaves the JIT its writable executable memory", () => {
    expect(Object.fromEntries(service.filter(([k]) => HARDENING.includes(k)))).toEqual({
      NoNewPrivileges: "yes",
      ProtectSystem: "strict",
      ProtectHome: "yes",
      PrivateTmp: "yes",
      RestrictAddressFamilies: "AF_INET AF_INET6 AF_UNIX",
      SystemCallFilter: "@system-service",
      CapabilityBoundingSet: "",
    });
    expect(service.some(([k, v]) => k === "MemoryDenyWriteExecute" && v === "yes")).toBe(false);
  });

  test("bounds memory above the benchmarked peak", () => {
    const mb = (v: string) => Number(/^(\d+)M$/.exec(v)?.[1]);
    // BENCHMARKS.md (c): about 100 MB idle, 190 MB at the peak of a start with 18,000 series.
    expect(mb(one("MemoryHigh"))).toBeGreaterThanOrEqual(256);
    expect(mb(one("MemoryMax"))).toBeGreaterThan(mb(one("MemoryHigh")));
  });
});

const HARDENING = [
  "NoNewPrivileges",
  "ProtectSystem",
  "ProtectHome",
  "PrivateTmp",
  "RestrictAddressFamilies",
  "SystemCallFilter",
  "CapabilityBoundingSet",
];
