import { expect, test } from "bun:test";
import { newOtlpStats } from "../../src/otlp/stats.ts";
import { CATALOG, LIVE_CATALOG, type View } from "../../src/render/catalog.ts";
import { renderCatalog } from "../../src/render/prometheus.ts";
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
    for (const s of samples) {
      const names = Object.keys(s.labels);
      // A label the family declares optional may be left out; the others are all there, in order.
      expect(names).toEqual(def.labels.filter((l) => names.includes(l) || !def.optionalLabels?.includes(l)));
    }
  },
);

test("the demand families render both scopes in one family, org rows without group labels", async () => {
  const text = await renderCatalog(CATALOG, everyFamilyView(), "acme", "text");
  const lines = text.split("\n").filter((l) => l.startsWith("nvidia_cls_feature_seats{"));
  expect(lines).toEqual([
    'nvidia_cls_feature_seats{scope="virtual_group",virtual_group_id="4101",virtual_group_name="Default",feature_name="vPC",org_name="acme"} 72',
    'nvidia_cls_feature_seats{scope="virtual_group",virtual_group_id="4101",virtual_group_name="Default",feature_name="vWS",org_name="acme"} 0',
    'nvidia_cls_feature_seats{scope="org",feature_name="vPC",org_name="acme"} 72',
    'nvidia_cls_feature_seats{scope="org",feature_name="vWS",org_name="acme"} 0',
  ]);
  expect(text.match(/^# TYPE nvidia_cls_feature_seats gauge$/gm)).toHaveLength(1);
  expect(text).toContain('nvidia_cls_feature_seats_in_use{scope="org",feature_name="vWS",org_name="acme"} 1');
  expect(text).toContain('nvidia_cls_feature_overage_seats{scope="org",feature_name="vPC",org_name="acme"} 7');
});
