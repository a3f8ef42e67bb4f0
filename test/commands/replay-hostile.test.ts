/**
 * The replay reads folders users send us: a hostile one must not make it read outside the folder,
 * exhaust memory, or stop answering.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CAPTURE_FORMAT, type CaptureEntry, captureEntry } from "../../src/capture/manifest.ts";
import { loadReplay } from "../../src/sim/replay.ts";
import { MAX_MANIFEST_BYTES } from "../../src/sim/replay-files.ts";
import { serveReplay } from "../../src/sim/replay-server.ts";
import { tempDir } from "./capture-helpers.ts";

const ROOT = tempDir("cls-replay-hostile-");
afterAll(() => rmSync(ROOT, { recursive: true, force: true }));
let n = 0;

const OUTSIDE = join(ROOT, "outside-secret.txt");
writeFileSync(OUTSIDE, '{"secret":"outside the capture folder"}');

const entry = (body: CaptureEntry["body"], path = "/v1/org/x/virtual-groups"): CaptureEntry => ({
  seq: 1,
  method: "GET",
  path,
  query: {},
  requestHeaders: {},
  startedMs: 0,
  durationMs: 1,
  outcome: "answered",
  status: 200,
  responseHeaders: { "content-type": "application/json" },
  ...(body ? { body } : {}),
});

function folder(requests: unknown[], files: Record<string, string> = {}): string {
  const dir = join(ROOT, `capture-${++n}`);
  mkdirSync(dir);
  const manifest = { format: CAPTURE_FORMAT, org: "x", exporterVersion: "t", capturedAt: "", requests };
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe("a hostile capture folder", () => {
  test("a body file that is a symbolic link out of the folder is refused, never read", async () => {
    const dir = folder([entry({ kind: "json", file: "0001.json", gzip: false })]);
    symlinkSync(OUTSIDE, join(dir, "0001.json"));
    await expect(loadReplay(dir)).rejects.toThrow("0001.json is a symbolic link");
  });

  test("a manifest that is a symbolic link is refused", async () => {
    const dir = join(ROOT, `capture-${++n}`);
    mkdirSync(dir);
    symlinkSync(OUTSIDE, join(dir, "manifest.json"));
    await expect(loadReplay(dir)).rejects.toThrow("symbolic link");
  });

  test("a body file name that leaves the folder (.., a slash) does not pass the manifest's schema", async () => {
    for (const file of ["..", ".", "../outside-secret.txt", "/etc/passwd"]) {
      expect([file, captureEntry.safeParse(entry({ kind: "json", file, gzip: false })).success]).toEqual([file, false]);
      await expect(loadReplay(folder([entry({ kind: "json", file, gzip: false })]))).rejects.toThrow();
    }
  });

  test("a manifest over its bound is refused on its size, before it is read", async () => {
    const dir = folder([]);
    truncateSync(join(dir, "manifest.json"), MAX_MANIFEST_BYTES + 1);
    await expect(loadReplay(dir)).rejects.toThrow("over the replay's bound");
  });

  test("a missing body file: a message naming it", async () => {
    await expect(loadReplay(folder([entry({ kind: "json", file: "0007.json", gzip: false })]))).rejects.toThrow("0007.json: ENOENT");
  });

  test("a cut body of an absurd recorded size is streamed, not allocated; the replay keeps answering", async () => {
    const dir = folder(
      [entry({ kind: "cut", bytes: 1e15 }), { ...entry({ kind: "json", file: "0002.json", gzip: false }, "/v1/org/x/other"), seq: 2 }],
      { "0002.json": '{"ok":true}' },
    );
    const replay = await serveReplay(dir, {});
    try {
      const res = await fetch(`${replay.url}/v1/org/x/virtual-groups`);
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      let read = 0;
      while (read < 1_000_000) read += (await reader.read()).value!.byteLength;
      await reader.cancel();
      expect(await (await fetch(`${replay.url}/v1/org/x/other`)).json()).toEqual({ ok: true });
    } finally {
      await replay.stop();
    }
  });
});
