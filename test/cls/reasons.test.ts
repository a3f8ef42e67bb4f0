import { describe, expect, test } from "bun:test";
import { ClsError, REFRESH_ERROR_REASONS, reasonForStatus } from "../../src/errors.ts";

describe("refresh error reasons: a closed list", () => {
  test.each([
    [401, "401"],
    [403, "403"],
    [404, "404"],
    [429, "429"],
    [400, "4xx"],
    [405, "4xx"],
    [418, "4xx"],
    [499, "4xx"],
    [500, "5xx"],
    [502, "5xx"],
    [503, "5xx"],
    [504, "5xx"],
    [599, "5xx"],
    // A redirect is never followed (it would carry the key elsewhere): not the answer the API gives.
    [301, "decode"],
    [302, "decode"],
    [308, "decode"],
    [600, "decode"],
  ] as const)("HTTP %d → %s", (status, reason) => {
    expect(reasonForStatus(status)).toBe(reason);
    expect(new ClsError("http", "leases", `HTTP ${status}`, status).reason).toBe(reason);
  });

  test.each(["network", "timeout", "decode"] as const)("a %s error is its own reason", (kind) => {
    expect(new ClsError(kind, "virtual_groups", "x").reason).toBe(kind);
  });

  test("every reason a ClsError can carry is in the list; the error keeps the exact status", () => {
    const statuses = Array.from({ length: 500 }, (_, i) => 100 + i);
    for (const status of statuses) expect(REFRESH_ERROR_REASONS).toContain(new ClsError("http", "leases", "x", status).reason);
    const e = new ClsError("http", "license_pools", "HTTP 502", 502);
    expect([e.reason, e.status]).toEqual(["5xx", 502]);
    expect(e.message).toContain("502");
  });
});
