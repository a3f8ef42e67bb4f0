import { describe, expect, test } from "bun:test";
import type { EndpointName } from "../../src/cls/endpoints.ts";
import { type RefreshErrorReason, StoreError } from "../../src/errors.ts";
import { healthOf } from "../../src/health.ts";
import { newOtlpStats } from "../../src/otlp/stats.ts";
import { snapshotAt } from "../store/helpers.ts";

const T = 1_780_000_000;
const now = (T + 42) * 1000;

describe("healthOf", () => {
  test("a restored snapshot is neither up nor failing: it waits for the first refresh", () => {
    const s = { ...snapshotAt(T, { "s1/vpc": 1 }), up: false };
    const h = healthOf({ now, snapshot: s, restored: true, lastSuccessAt: undefined });
    expect(h.cls.state).toBe("restored");
    expect(h.cls_up).toBe(false);
    expect(h.data_age_seconds).toBe(42);
    expect(h.cls.collected_at).toBe(new Date(T * 1000).toISOString());
  });

  test("failures are grouped by cause, the most upstream first, with hints; unreadable items by endpoint", () => {
    const failure = (endpoint: EndpointName, reason: RefreshErrorReason, stale: boolean, status?: number) => ({
      endpoint,
      reason,
      status,
      message: `${endpoint} ${reason}`,
      stale,
    });
    const s = {
      ...snapshotAt(T, {}),
      up: false,
      failures: [failure("leases", "timeout", true), failure("leases", "timeout", false), failure("virtual_groups", "5xx", true, 503)],
      invalidItems: [["license_servers", 3]] as [string, number][],
    };
    const h = healthOf({ now, snapshot: s, restored: false, lastSuccessAt: (T - 60) * 1000 });
    expect(h.cls.state).toBe("failing");
    expect(h.cls.failures.map((f) => [f.endpoint, f.reason, f.status, f.parts, f.serving_last_good])).toEqual([
      ["virtual_groups", "5xx", 503, 1, 1],
      ["leases", "timeout", null, 2, 1],
    ]);
    expect(h.cls.failures[0]!.hint).toContain("server error");
    expect(h.cls.failures[1]!.hint).toContain("SCRAPE_TIMEOUT");
    expect(h.cls.invalid_items).toEqual({ license_servers: 3 });
    expect(h.cls.last_success_at).toBe(new Date((T - 60) * 1000).toISOString());
  });

  test("history and OTLP: off, up, or failing with the reason and what to do", () => {
    const s = snapshotAt(T, {});
    const off = healthOf({ now, snapshot: s, restored: false, lastSuccessAt: undefined });
    expect(off.history).toEqual({ enabled: false });
    expect(off.otlp).toEqual({ enabled: false });

    const otlp = newOtlpStats();
    const waiting = healthOf({ now, snapshot: s, restored: false, lastSuccessAt: undefined, otlp });
    expect(waiting.otlp).toMatchObject({ enabled: true, up: null });
    otlp.lastSuccessAt = now - 5_000;
    otlp.lastFailure = { reason: "unavailable", message: "connection refused", at: now };
    const h = healthOf({
      now,
      snapshot: s,
      restored: false,
      lastSuccessAt: undefined,
      history: { failure: new StoreError("full", "disk full"), lastWriteAt: now - 60_000 },
      otlp,
    });
    expect(h.history).toMatchObject({ enabled: true, up: false, reason: "full" });
    expect((h.history as { hint: string }).hint).toContain("disk holding DB_PATH is full");
    expect(h.otlp).toMatchObject({ enabled: true, up: false, reason: "unavailable", error: "connection refused" });
  });
});
