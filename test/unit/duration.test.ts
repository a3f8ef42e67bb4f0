import { describe, expect, test } from "bun:test";
import { parseDuration } from "../../src/duration.ts";

describe("parseDuration", () => {
  test.each([
    ["250ms", 250],
    ["20s", 20_000],
    ["5m", 300_000],
    ["1h30m", 5_400_000],
    ["1.5s", 1_500],
    ["1h0m10s", 3_610_000],
    ["500us", 0.5],
    ["8d", 691_200_000],
    ["2w1d", 1_296_000_000],
  ])("%s → %d ms", (text, ms) => expect(parseDuration(text)).toBe(ms));

  test.each(["", "20", "s", "1 hour", "-5s", "5 s", "5sec", "1y", "1h30", "NaNs"])("rejects %p", (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});
