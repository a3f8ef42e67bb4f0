import { expect, test } from "bun:test";
import { z } from "zod";
import { buildSnapshot } from "../../src/snapshot/build.ts";
import { FAMILY_LABELS, type Family } from "../../src/snapshot/labels.ts";
import { type Labels, type Snapshot, snapshotSchema } from "../../src/snapshot/types.ts";
import { EVERY_FIELD_META, everyFamilyOrg } from "./fixture.ts";

/** Which family each labelled row list of the snapshot belongs to. */
const FAMILY_OF = {
  entitlements: "entitlement",
  servers: "server",
  serverFeatures: "serverFeature",
  pools: "pool",
  unattributed: "unattributed",
  productKeys: "productKey",
  renewals: "productKeyRenewal",
} as const satisfies Partial<Record<keyof Snapshot, Family>>;

test("every labelled row list of the snapshot has a family in the label table", () => {
  // Lists added after snapshots were first stored are optional: look through the wrapper.
  const list = (schema: unknown) => (schema instanceof z.ZodOptional ? schema.unwrap() : schema) as object;
  const labelled = Object.entries(snapshotSchema.shape)
    .map(([field, schema]) => [field, list(schema)] as const)
    .filter(([, schema]) => "element" in schema && schema.element instanceof z.ZodObject && "labels" in schema.element.shape)
    .map(([field]) => field);
  expect(labelled.sort()).toEqual(Object.keys(FAMILY_OF).sort());
  const families: string[] = Object.values(FAMILY_OF);
  expect(families.sort()).toEqual(Object.keys(FAMILY_LABELS).sort());
});

test.each(Object.entries(FAMILY_OF))("every built %s row carries exactly its family's labels, in the table's order", (field, family) => {
  const rows = buildSnapshot(everyFamilyOrg(), EVERY_FIELD_META)[field as keyof typeof FAMILY_OF] as readonly { labels: Labels }[];
  expect(rows.length).toBeGreaterThan(0);
  for (const row of rows) expect(Object.keys(row.labels)).toEqual([...FAMILY_LABELS[family]]);
});
