import { expect, test } from "bun:test";
import { buildSnapshot } from "../../src/snapshot/build.ts";
import { FAMILY_LABELS, type Family } from "../../src/snapshot/labels.ts";
import type { Labels, Snapshot } from "../../src/snapshot/types.ts";
import { EVERY_FIELD_META, everyFamilyOrg } from "./fixture.ts";

/** Which family each labelled row list of the snapshot belongs to. */
const FAMILY_OF = {
  entitlements: "entitlement",
  servers: "server",
  serverFeatures: "serverFeature",
  pools: "pool",
  unattributed: "unattributed",
} as const satisfies Partial<Record<keyof Snapshot, Family>>;

test.each(Object.entries(FAMILY_OF))("every built %s row carries exactly its family's labels, in the table's order", (field, family) => {
  const rows = buildSnapshot(everyFamilyOrg(), EVERY_FIELD_META)[field as keyof typeof FAMILY_OF] as readonly { labels: Labels }[];
  expect(rows.length).toBeGreaterThan(0);
  for (const row of rows) expect(Object.keys(row.labels)).toEqual([...FAMILY_LABELS[family]]);
});
