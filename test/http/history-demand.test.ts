import { expect, test } from "bun:test";
import { parseHistoryQuery } from "../../src/http/history-query.ts";

const NOW = 1_800_000_000;
const parse = (q: string) => parseHistoryQuery(new URLSearchParams(q), undefined, NOW);

test("kind=feature_in_use takes a scope filter beside the group and feature filters", () => {
  expect(parse("kind=feature_in_use&scope=org&feature_name=vpc")).toMatchObject({
    kind: "feature_in_use",
    filter: { scope: "org", feature_name: "vpc" },
  });
  expect(parse("kind=feature_in_use&scope=virtual_group&virtual_group_id=7")).toMatchObject({
    filter: { scope: "virtual_group", virtual_group_id: "7" },
  });
});

test("scope outside feature_in_use, an unknown scope and server_id on demand are 400s naming the parameter", () => {
  expect(parse("scope=org")).toEqual({ parameter: "scope", message: expect.stringContaining("kind=feature_in_use") });
  expect(parse("kind=feature_in_use&scope=server")).toEqual({ parameter: "scope", message: "must be one of virtual_group, org" });
  expect(parse("kind=feature_in_use&server_id=s1")).toEqual({
    parameter: "server_id",
    message: expect.stringContaining("not per license server"),
  });
});
