import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import type { ServerFeatureRow, Snapshot } from "../../src/snapshot/types.ts";
import type { StoredRow } from "../../src/store/buckets.ts";
import { emptySnapshot } from "../snapshot/fixture.ts";

/** A fresh folder per test file; removed by the returned function. */
export function tempDir(prefix = "cls-store-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const ORG = "test-org";

function featureLabels(server: string, feature: string, names: Partial<ServerFeatureRow["labels"]> = {}): ServerFeatureRow["labels"] {
  return {
    virtual_group_id: "vg1",
    virtual_group_name: "VG one",
    server_id: server,
    server_name: `name-${server}`,
    feature_name: feature,
    product_name: "vPC",
    license_type: "CONCURRENT",
    ...names,
  };
}

/** A snapshot with only server features: `values` maps `server/feature` to active leases (total 10). */
export function snapshotAt(seconds: number, values: Record<string, number | undefined>, total = 10): Snapshot {
  const serverFeatures: ServerFeatureRow[] = Object.entries(values).map(([k, active]) => {
    const [server, feature] = k.split("/") as [string, string];
    return { labels: featureLabels(server, feature), total, active };
  });
  return emptySnapshot({ collectedAt: seconds * 1000, durationMs: 120, serverFeatures });
}

/**
 * Records `minutes` refreshes a minute apart, ending at `endS`, of `series` server features whose
 * values all change at every refresh: one row per series and minute, so reading it is real work.
 */
export function recordBusyOrg(store: { record: (s: Snapshot) => void }, series: number, minutes: number, endS: number): void {
  for (let m = minutes - 1; m >= 0; m--) {
    const values: Record<string, number> = {};
    for (let i = 0; i < series; i++) values[`s${i}/vpc`] = (i + m) % 7;
    store.record(snapshotAt(endS - m * 60, values));
  }
}

/** A raw stored row: `last` from `start` to `end`, measured against `capacity`. */
export const rawRow = (start: number, end: number, last: number, capacity: number | null = 10): StoredRow => ({
  start,
  end,
  last,
  capacity,
  min: null,
  max: null,
  area: null,
  covered: null,
});

const ROOT = join(import.meta.dir, "..", "..");

/**
 * drizzle-kit generate over a copy of `folder` (relative to the repository) with `schema`: what
 * it prints, and whether it wrote a file the committed folder does not have. Committed migrations
 * that match their schema give "No schema changes" and no new file.
 */
export function generateOver(dialect: "sqlite" | "postgresql", schema: string, folder: string): { text: string; sameFiles: boolean } {
  const tmp = tempDir("cls-migrations-");
  try {
    const out = join(tmp.dir, "out");
    cpSync(join(ROOT, folder), out, { recursive: true });
    // drizzle-kit prefixes "./" to the output folder, so it must be given relative to the working directory.
    const r = Bun.spawnSync(
      [process.execPath, "x", "--bun", "drizzle-kit", "generate", "--dialect", dialect, "--schema", schema, "--out", relative(ROOT, out)],
      { cwd: ROOT, stdout: "pipe", stderr: "pipe" },
    );
    const sameFiles = readdirSync(out).sort().join("\n") === readdirSync(join(ROOT, folder)).sort().join("\n");
    return { text: `${r.stdout.toString()}${r.stderr.toString()}`, sameFiles };
  } finally {
    tmp.cleanup();
  }
}
