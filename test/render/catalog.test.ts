import { expect, test } from "bun:test";
import { newOtlpStats } from "../../src/otlp/stats.ts";
import { CATALOG, LIVE_CATALOG, type View } from "../../src/render/catalog.ts";
import { buildSnapshot } from "../../src/snapshot/build.ts";
import { newStats } from "../../src/snapshot/refresher.ts";
import { EVERY_FIELD_META, everyFamilyOrg } from "../snapshot/fixture.ts";

/** A view in which every family of the catalogue has samples. */
function everyFamilyView(): View {
  const stats = newStats();
  stats.refreshErrors.set("leases\ntimeout", 1);
  stats.requests.set("leases\n200", 3);
  stats.lastSuccessAt = 1;
  const otlp = newOtlpStats();
  otlp.lastSuccessAt = 1;
  return {
    snapshot: buildSnapshot(everyFamilyOrg(), EVERY_FIELD_META),
    stats,
    build: { version: "1", revision: "r", bunVersion: "b" },
    history: { stats: { writeErrors: new Map(), lastWriteAt: 1, databaseBytes: 1 }, available: true },
    otlp,
  };
}

test.each([...CATALOG, ...LIVE_CATALOG].map((def) => [def.name, def] as const))(
  "every %s sample carries exactly the family's declared labels, in order",
  (_, def) => {
    const samples = [...def.rows(everyFamilyView())];
    expect(samples.length).toBeGreaterThan(0);
    for (const s of samples) expect(Object.keys(s.labels)).toEqual([...def.labels]);
  },
);
