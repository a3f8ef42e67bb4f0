/** The org of bench/history/abandoned.ts: every series changes every minute, so a read is real work. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ServerFeatureRow, Snapshot } from "../../src/snapshot/types.ts";
import type { HistoryStore } from "../../src/store/index.ts";

export function tempFolder(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "bench-abandoned-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `minutes` refreshes a minute apart ending at `endS`, of `series` server features on servers s0…. */
export function recordChurningOrg(store: HistoryStore, series: number, minutes: number, endS: number): void {
  for (let m = minutes - 1; m >= 0; m--) {
    const serverFeatures: ServerFeatureRow[] = Array.from({ length: series }, (_, i) => ({
      labels: {
        virtual_group_id: "vg1",
        virtual_group_name: "VG one",
        server_id: `s${i}`,
        server_name: `name-s${i}`,
        feature_name: "vpc",
        product_name: "vPC",
        license_type: "CONCURRENT",
      },
      total: 10,
      active: (i + m) % 7,
    }));
    store.record(snapshotOf((endS - m * 60) * 1000, serverFeatures));
  }
}

const snapshotOf = (collectedAt: number, serverFeatures: ServerFeatureRow[]): Snapshot => ({
  collectedAt,
  durationMs: 600,
  up: true,
  entitlements: [],
  servers: [],
  serverFeatures,
  pools: [],
  unattributed: [],
  invalidItems: [],
  failures: [],
});
