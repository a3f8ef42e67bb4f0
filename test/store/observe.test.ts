import { expect, test } from "bun:test";
import { buildSnapshot } from "../../src/snapshot/build.ts";
import { HISTORY_KINDS, KIND_LABELS, observe } from "../../src/store/observe.ts";
import { EVERY_FIELD_META, everyFamilyOrg } from "../snapshot/fixture.ts";

test.each(HISTORY_KINDS)("every %s observation carries exactly the kind's label columns, in order", (kind) => {
  const observations = observe(buildSnapshot(everyFamilyOrg(), EVERY_FIELD_META)).filter((o) => o.kind === kind);
  expect(observations.length).toBeGreaterThan(0);
  for (const o of observations) expect(Object.keys(o.labels)).toEqual([...KIND_LABELS[kind]]);
});
