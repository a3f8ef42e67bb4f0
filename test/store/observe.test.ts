import { expect, test } from "bun:test";
import { buildSnapshot } from "../../src/snapshot/build.ts";
import { DEMAND_GROUP_LABELS } from "../../src/snapshot/labels.ts";
import { HISTORY_KINDS, KIND_LABELS, observe } from "../../src/store/observe.ts";
import { EVERY_FIELD_META, everyFamilyOrg } from "../snapshot/fixture.ts";

test.each(HISTORY_KINDS)("every %s observation carries exactly the kind's label columns, in order", (kind) => {
  const observations = observe(buildSnapshot(everyFamilyOrg(), EVERY_FIELD_META)).filter((o) => o.kind === kind);
  expect(observations.length).toBeGreaterThan(0);
  const group: readonly string[] = DEMAND_GROUP_LABELS;
  for (const o of observations) {
    // Org-wide demand belongs to no group: its rows leave the group columns out.
    const columns = o.labels.scope === "org" ? KIND_LABELS[kind].filter((l) => !group.includes(l)) : KIND_LABELS[kind];
    expect(Object.keys(o.labels)).toEqual([...columns]);
  }
});
