import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ServerFeatureRow, Snapshot } from "../../src/snapshot/types.ts";
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
