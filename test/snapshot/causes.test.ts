import { describe, expect, test } from "bun:test";
import { causesOf } from "../../src/snapshot/causes.ts";
import { emptySnapshot } from "./fixture.ts";

describe("unreadable items as a cause", () => {
  test("the message says what was wrong with the items, in the exporter's words, never CLS's text", () => {
    const s = emptySnapshot({
      invalidItems: [
        ["leases", 3],
        ["license_servers", 1],
      ],
      invalidReasons: [
        ["leases", "out_of_range", 2],
        ["leases", "too_long", 1],
        ["license_servers", "no_id", 1],
      ],
    });
    const causes = [...causesOf(s).values()];
    expect(causes.map((c) => [c.endpoint, c.kind, c.parts])).toEqual([
      ["license_servers", "invalid_items", 1],
      ["leases", "invalid_items", 3],
    ]);
    expect(causes[1]!.message).toBe(
      "3 item(s) not fully understood: 2 with a quantity negative, non-finite or above 1e9 (read as absent), " +
        "1 with a string over CLS_MAX_STRING_LENGTH (a name cut, an item with such an id dropped)",
    );
    expect(causes[0]!.message).toBe("1 item(s) not fully understood: 1 without a readable id (dropped)");
  });

  test("a snapshot without reasons (stored by an older version) still names the count", () => {
    const [cause] = causesOf(emptySnapshot({ invalidItems: [["leases", 2]] })).values();
    expect(cause!.message).toBe("2 item(s) not fully understood");
  });
});
