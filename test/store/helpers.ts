import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import type { EntitlementRow, ServerFeatureRow, Snapshot } from "../../src/snapshot/types.ts";
import type { StoredRow } from "../../src/store/buckets.ts";
import { HOUR } from "../../src/store/rollup.ts";
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

export const DAY = 86_400;
export const T0 = 1_800_000_000 - (1_800_000_000 % DAY); // a UTC midnight

/** Two license servers of group vg1 sharing feature vpc, and one product key of `seats` seats ending `ends`. */
export function orgAt(t: number, s1: number, s2: number, seats = 8, ends = T0 + 40 * DAY): Snapshot {
  const s = snapshotAt(t, { "s1/vpc": s1, "s2/vpc": s2 });
  const key: EntitlementRow = {
    labels: {
      virtual_group_id: "vg1",
      virtual_group_name: "VG one",
      feature_name: "vpc",
      feature_version: "1",
      product_name: "vPC",
      license_type: "CONCURRENT",
      ems_entitlement_id: "e1",
      ems_product_key_id: "k1",
    },
    total: seats,
    inUse: s1 + s2,
    unassigned: 0,
    end: ends,
    overageAvailable: 3,
  };
  return { ...s, entitlements: [key] };
}

/**
 * Ten days of 60 s refreshes: each day s1 has 5 leases from 08:00 to 12:00 and s2 has 5 from 10:30 to
 * 14:00, so each server peaks at 5 but together they use 10 of 8 seats from 10:30 to 12:00 —
 * at capacity (≥ 8) for an hour and a half a day. Day 7 on, s1 has one more lease from 10:40 to
 * 10:50 (a trend, and a peak inside one hour).
 */
export function tenDays(store: { record: (s: Snapshot) => unknown }, stepS = 60): Snapshot {
  let last: Snapshot | undefined;
  for (let t = T0; t < T0 + 10 * DAY; t += stepS) {
    const h = (t % DAY) / HOUR;
    const extra = t >= T0 + 7 * DAY && h >= 10 + 40 / 60 && h < 10 + 50 / 60 ? 1 : 0;
    last = orgAt(t, (h >= 8 && h < 12 ? 5 : 0) + extra, h >= 10.5 && h < 14 ? 5 : 0);
    store.record(last);
  }
  return last!;
}
