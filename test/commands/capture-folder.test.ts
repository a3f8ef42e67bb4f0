import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { captureCommand } from "../../src/commands/capture.ts";
import { tempDir } from "./capture-helpers.ts";
import { configFor, deps, KEY } from "./capture-round-trip.ts";

const ROOT = tempDir("cls-capture-folder-");
afterAll(() => rmSync(ROOT, { recursive: true, force: true }));
const EXPORTER = new URL("../../src/index.ts", import.meta.url).pathname;
// Nothing listens there: a refresh, if one were made, would fail at once.
const config = () => configFor("http://127.0.0.1:9", "o");

describe("--capture DIR that cannot take a capture: exit 2, nothing called or written", () => {
  test('DIR "-" (standard output on most command lines) is refused, not made a folder named "-"', () => {
    const cwd = join(ROOT, "cwd");
    mkdirSync(cwd);
    const r = Bun.spawnSync([process.execPath, "run", EXPORTER, "--capture=-"], {
      cwd,
      env: { PATH: process.env.PATH ?? "", NVIDIA_API_KEY: KEY, NVIDIA_ORG_NAME: "o", NVIDIA_API_BASE_URL: "http://127.0.0.1:9" },
    });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.toString()).toContain('"-" is not a folder');
    expect(readdirSync(cwd)).toEqual([]);
  });

  test("a file, a symbolic link to nowhere, a path too long: each named in the message", async () => {
    const file = join(ROOT, "a-file");
    writeFileSync(file, "mine");
    const dangling = join(ROOT, "dangling");
    symlinkSync(join(ROOT, "nowhere"), dangling);
    const long = join(ROOT, "x".repeat(300));
    for (const [dir, why] of [
      [file, "exists and is not a folder"],
      [dangling, "cannot create"],
      [long, "ENAMETOOLONG"],
    ] as const) {
      const r = await captureCommand(dir, config(), deps);
      expect([dir.slice(-20), r.code, r.summary.includes(why)]).toEqual([dir.slice(-20), 2, true]);
    }
    expect(existsSync(join(ROOT, "nowhere"))).toBe(false);
  });
});
