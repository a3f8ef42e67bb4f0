import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { buildSnapshot } from "../../src/snapshot/build.ts";
import { type Snapshot, snapshotSchema } from "../../src/snapshot/types.ts";
import { decodeSnapshot, encodeSnapshot, SNAPSHOT_FORMAT } from "../../src/store/codec.ts";
import { EVERY_FIELD_META, everyFamilyOrg } from "../snapshot/fixture.ts";
import { snapshotAt } from "./helpers.ts";

/**
 * A body exactly as stored before the snapshot dropped `orgName` (a non-finite total written as null,
 * an unreported number left out): a restart after the upgrade must still serve it.
 */
const STORED_WITH_ORG_NAME =
  '{"orgName":"lic-example","collectedAt":1764400000000,"durationMs":812,"up":false,"entitlements":[{"labels":{"virtual_group_id":"4101","virtual_group_name":"Default","feature_name":"vPC","feature_version":"1.0","product_name":"vPC","license_type":"CONCURRENT","ems_entitlement_id":"E1","ems_product_key_id":"PK-1"},"total":72,"inUse":3,"end":1830211200}],"servers":[{"labels":{"virtual_group_id":"4101","virtual_group_name":"Default","server_id":"s1","server_name":"srv-1","status":"ENABLED","deployed_on":"CLOUD","leasing_mode":"STANDARD"}},{"labels":{"virtual_group_id":"4101","virtual_group_name":"Default","server_id":"s2","server_name":"srv-2","status":"ENABLED","deployed_on":"ON_PREM","leasing_mode":"STANDARD"}}],"serverFeatures":[{"labels":{"virtual_group_id":"4101","virtual_group_name":"Default","server_id":"s1","server_name":"srv-1","feature_name":"vPC","product_name":"vPC","license_type":"CONCURRENT"},"total":null,"active":1}],"pools":[{"labels":{"virtual_group_id":"4101","virtual_group_name":"Default","server_id":"s1","server_name":"srv-1","pool_id":"p1","pool_name":"default","feature_name":"vPC"},"allotment":10,"inUse":2}],"unattributed":[{"labels":{"virtual_group_id":"4101","virtual_group_name":"Default","feature_name":"vWS"},"count":2}],"invalidItems":[["leases",1]],"failures":[{"endpoint":"license_pools","reason":"503","message":"CLS answered 503","stale":true}]}';

const decode = (body: string): Snapshot => {
  const out = decodeSnapshot(body, SNAPSHOT_FORMAT);
  if ("problem" in out) throw new Error(out.problem);
  return out;
};

/** Paths of the schema's object fields that no value in `values` sets: those a round trip would not exercise. */
function unset(schema: z.core.$ZodType, values: readonly unknown[], path: string): string[] {
  if (schema instanceof z.ZodReadonly) return unset(schema.unwrap(), values, path);
  if (schema instanceof z.ZodArray) return unset(schema.element, values.flat(), `${path}[]`);
  if (!(schema instanceof z.ZodObject)) return [];
  return Object.entries(schema.shape as Record<string, z.core.$ZodType>).flatMap(([key, field]) => {
    const set = values.map((v) => (v as Record<string, unknown>)[key]).filter((v) => v !== undefined);
    return set.length === 0 ? [`${path}.${key}`] : unset(field, set, `${path}.${key}`);
  });
}

describe("stored snapshot", () => {
  // lastSuccessAt and refreshedAt are stamped by the refresher, not the builder.
  const built: Snapshot = {
    ...buildSnapshot(everyFamilyOrg(), EVERY_FIELD_META),
    lastSuccessAt: EVERY_FIELD_META.collectedAt - 60_000,
    refreshedAt: EVERY_FIELD_META.collectedAt + 60_000,
  };

  test("the fixture sets every field of the schema, so the round trip below covers each", () => {
    expect(unset(snapshotSchema, [built], "snapshot")).toEqual([]);
  });

  test("what the builder produces reads back equal after encode and decode", () => {
    expect(decode(encodeSnapshot(built))).toEqual(built);
  });

  test("a non-finite number is written as null and reads back as not reported", () => {
    const s = snapshotAt(1_000, { "s1/vpc": Number.NaN, "s2/vpc": 3 }, Number.POSITIVE_INFINITY);
    const back = decode(encodeSnapshot(s));
    expect(back.serverFeatures.map((r) => [r.total, r.active])).toEqual([
      [undefined, undefined],
      [undefined, 3],
    ]);
  });

  test("a body stored by the previous version is restored: without the org name, its HTTP status reasons as their class", () => {
    const restored = decode(STORED_WITH_ORG_NAME);
    expect("orgName" in restored).toBe(false);
    expect(restored.failures[0]!.reason).toBe("5xx");
    expect(restored.serverFeatures[0]!.total).toBeUndefined();
    expect(restored.entitlements[0]!.unassigned).toBeUndefined();
    const expected = STORED_WITH_ORG_NAME.replace('"orgName":"lic-example",', "")
      .replace('"total":null,', "")
      .replace('"reason":"503"', '"reason":"5xx"');
    expect(encodeSnapshot(restored)).toBe(expected);
  });

  test("a row that lacks a label of its family is not restored", () => {
    const body = STORED_WITH_ORG_NAME.replace('"pool_name":"default",', "");
    expect(decodeSnapshot(body, SNAPSHOT_FORMAT)).toEqual({ problem: expect.stringContaining("does not match its layout") });
  });
});
