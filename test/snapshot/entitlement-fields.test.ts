/**
 * The documented entitlement and product-key fields from the builder to the exposition: numbers on
 * their own series, descriptive fields on info series only, renewals linking a key to the one it
 * replaces; and a snapshot stored before they were read still restores.
 */
import { describe, expect, test } from "bun:test";
import { ORG_KEY } from "../../src/cls/endpoints.ts";
import { CATALOG } from "../../src/render/catalog.ts";
import { renderCatalog } from "../../src/render/prometheus.ts";
import { buildSnapshot } from "../../src/snapshot/build.ts";
import { newStats } from "../../src/snapshot/refresher.ts";
import type { Snapshot } from "../../src/snapshot/types.ts";
import { decodeSnapshot, encodeSnapshot, SNAPSHOT_FORMAT } from "../../src/store/codec.ts";
import { EVERY_FIELD_META, everyFamilyOrg } from "./fixture.ts";

const build = { version: "1", revision: "r", bunVersion: "b" };
const exposition = (s: Snapshot) => renderCatalog(CATALOG, { snapshot: s, stats: newStats(), build }, "org", "text");
/** The sample lines of one family. */
const lines = (text: string, name: string) => text.split("\n").filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));

const ENT =
  'virtual_group_id="4101",virtual_group_name="Default",feature_name="vPC",feature_version="1.0",product_name="vPC",license_type="CONCURRENT",ems_entitlement_id="E1",ems_product_key_id="PK-1"';
const KEY = 'virtual_group_id="4101",virtual_group_name="Default",ems_entitlement_id="E1",ems_product_key_id="PK-1"';
const ORG = 'org_name="org"';

describe("documented entitlement fields in the exposition", () => {
  test("each number on its own series, with the entitlement's labels", async () => {
    const text = await exposition(buildSnapshot(everyFamilyOrg(), EVERY_FIELD_META));
    const want: [string, number][] = [
      ["nvidia_cls_entitlement_start_timestamp_seconds", Date.UTC(2025, 0, 1) / 1000],
      ["nvidia_cls_entitlement_end_timestamp_seconds", Date.UTC(2027, 11, 31) / 1000],
      ["nvidia_cls_entitlement_overage_percent", 10],
      ["nvidia_cls_entitlement_overage_available_quantity", 7],
      ["nvidia_cls_entitlement_overage_start_timestamp_seconds", Date.UTC(2026, 10, 1) / 1000],
      ["nvidia_cls_entitlement_overage_duration", 30],
    ];
    for (const [name, value] of want) expect(lines(text, name)).toEqual([`${name}{${ENT},${ORG}} ${value}`]);
  });

  test("descriptive fields only on the info series: no free-text label on the numbers", async () => {
    const text = await exposition(buildSnapshot(everyFamilyOrg(), EVERY_FIELD_META));
    expect(lines(text, "nvidia_cls_entitlement_info")).toEqual([
      `nvidia_cls_entitlement_info{${ENT},product_family="vGPU",product_version="17.0",${ORG}} 1`,
    ]);
    expect(lines(text, "nvidia_cls_product_key_info")).toEqual([
      `nvidia_cls_product_key_info{${KEY},sale_type="RENEWAL",movable_across_vg="false",${ORG}} 1`,
    ]);
    expect(lines(text, "nvidia_cls_product_key_renewal_info")).toEqual([
      `nvidia_cls_product_key_renewal_info{${KEY},renewed_ems_product_key_id="PK-0",${ORG}} 1`,
    ]);
    const others = text.split("\n").filter((l) => !l.startsWith("#") && !l.includes("_info{"));
    for (const label of ["product_family", "product_version", "sale_type", "movable_across_vg", "renewed_ems_product_key_id"])
      expect(others.filter((l) => l.includes(`${label}=`))).toEqual([]);
  });

  test("fields CLS left out give no sample; a key without a renewal has no renewal series; flags and texts read unknown", async () => {
    const data = everyFamilyOrg();
    const [vg] = data.virtual_groups.get(ORG_KEY)!;
    vg!.entitlements = [{ emsEntitlementId: "E1", emsProductKeyId: "PK-1", featureName: "vPC", renewedEmsProductKeyId: " " }];
    const s = buildSnapshot(data, EVERY_FIELD_META);
    expect(s.renewals).toEqual([]);
    expect(s.productKeys!.map((k) => [k.labels.sale_type, k.labels.movable_across_vg])).toEqual([["unknown", "unknown"]]);
    const text = await exposition(s);
    for (const name of [
      "start_timestamp_seconds",
      "overage_percent",
      "overage_available_quantity",
      "overage_start_timestamp_seconds",
      "overage_duration",
    ])
      expect(lines(text, `nvidia_cls_entitlement_${name}`)).toEqual([]);
    expect(lines(text, "nvidia_cls_entitlement_info")[0]).toContain('product_family="unknown",product_version="unknown"');
  });

  test("one feature twice under a key: seats add up, start is the earliest, end and overage limits the largest", () => {
    const data = everyFamilyOrg();
    const [vg] = data.virtual_groups.get(ORG_KEY)!;
    const first = vg!.entitlements[0]!;
    vg!.entitlements.push({
      ...first,
      startDate: first.startDate! - 86_400,
      endDate: first.endDate! + 86_400,
      availableOverageQuantity: 3,
      overagePercent: 5,
      overageDuration: 60,
    });
    const [row] = buildSnapshot(data, EVERY_FIELD_META).entitlements;
    expect([row!.total, row!.start, row!.end, row!.overageAvailable, row!.overagePercent, row!.overageDuration]).toEqual([
      144,
      first.startDate! - 86_400,
      first.endDate! + 86_400,
      10,
      10,
      60,
    ]);
  });
});

describe("a snapshot stored before the documented fields were read", () => {
  test("restores, and shows no sample of them", async () => {
    const built = buildSnapshot(everyFamilyOrg(), EVERY_FIELD_META);
    // What the previous version stored: its entitlement rows had no such fields and no product-key lists.
    const old = JSON.parse(encodeSnapshot(built)) as Record<string, unknown> & { entitlements: Record<string, unknown>[] };
    delete old.productKeys;
    delete old.renewals;
    for (const e of old.entitlements)
      for (const k of ["start", "overagePercent", "overageAvailable", "overageStart", "overageDuration", "productFamily", "productVersion"])
        delete e[k];
    const restored = decodeSnapshot(JSON.stringify(old), SNAPSHOT_FORMAT);
    if ("problem" in restored) throw new Error(restored.problem);
    expect(restored.entitlements.map((e) => [e.total, e.end, e.start])).toEqual([[72, Date.UTC(2027, 11, 31) / 1000, undefined]]);
    expect(restored.productKeys).toBeUndefined();
    const text = await exposition(restored);
    expect(lines(text, "nvidia_cls_entitlement_end_timestamp_seconds")).toHaveLength(1);
    expect(lines(text, "nvidia_cls_entitlement_start_timestamp_seconds")).toEqual([]);
    expect(lines(text, "nvidia_cls_product_key_info")).toEqual([]);
  });
});
