/**
 * deploy/prometheus: promtool accepts the rules and their unit tests pass; every alert is routable
 * and documented; every metric and label the rules read is one the exporter exports.
 */
import { describe, expect, test } from "bun:test";
import { CATALOG, LIVE_CATALOG } from "../../src/render/catalog.ts";
import { requireBinary } from "../integration/harness.ts";
import { PROMETHEUS_HINT } from "../integration/prom.ts";
import { anchorOf, headingsOf, loadRules, loadUnitTests, RULE_FILES, TEST_FILES } from "./rules.ts";

const { alerts, records } = await loadRules();
const unitTests = await loadUnitTests();
const troubleshooting = await Bun.file(new URL("../../TROUBLESHOOTING.md", import.meta.url)).text();

async function promtool(...args: string[]): Promise<{ code: number; output: string }> {
  const p = Bun.spawn([requireBinary("promtool", PROMETHEUS_HINT), ...args], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, output: `promtool ${args.join(" ")}\n${out}${err}` };
}

describe("promtool", () => {
  test("check rules accepts both rule files", async () => {
    const r = await promtool("check", "rules", ...RULE_FILES);
    expect(r.code, r.output).toBe(0);
  });

  test("the unit tests pass", async () => {
    const r = await promtool("test", "rules", ...TEST_FILES);
    expect(r.code, r.output).toBe(0);
  }, 30_000);
});

describe("alerts", () => {
  test.each(alerts.map((a) => [a.alert, a]))("%s has a severity, summary, description and a runbook in TROUBLESHOOTING.md", (_, a) => {
    expect(["warning", "critical"]).toContain(a.labels?.severity ?? "");
    expect(a.annotations?.summary).toBeTruthy();
    expect(a.annotations?.description).toBeTruthy();
    const [, anchor] = /^TROUBLESHOOTING\.md#(.+)$/.exec(a.annotations?.runbook_url ?? "") ?? [];
    expect(headingsOf(troubleshooting).map(anchorOf)).toContain(anchor!);
  });

  test.each(alerts.map((a) => [a.alert]))("%s is unit-tested firing and staying quiet", (name) => {
    const cases = unitTests.flatMap((f) => f.tests.flatMap((t) => t.alert_rule_test ?? [])).filter((c) => c.alertname === name);
    expect(cases.some((c) => (c.exp_alerts ?? []).length > 0)).toBe(true);
    expect(cases.some((c) => (c.exp_alerts ?? []).length === 0)).toBe(true);
  });
});

test("every recording rule's value is unit-tested", () => {
  const exprs = unitTests.flatMap((f) => f.tests.flatMap((t) => t.promql_expr_test ?? [])).map((t) => t.expr);
  for (const r of records) expect(exprs.some((e) => e.includes(r.record))).toBe(true);
});

/** Labels a scrape or a Prometheus HA pair adds, besides the exporter's own. */
const TARGET_LABELS = ["org_name", "job", "instance", "pod", "prometheus_replica", "replica"];
const METRICS = new Set([...CATALOG, ...LIVE_CATALOG].map((m) => m.name));
const LABELS = new Set([...CATALOG, ...LIVE_CATALOG].flatMap((m) => m.labels).concat(TARGET_LABELS));
const exprs = [...alerts, ...records].map((r) => r.expr);

test("every metric the rules read is in src/render/catalog.ts, every recorded name is recorded", () => {
  const recorded = new Set(records.map((r) => r.record));
  // Strings (label_replace's arguments) are not names.
  const names = exprs.flatMap((e) => e.replace(/"[^"]*"/g, "").match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? []);
  const read = names.filter((n) => n.startsWith("nvidia_cls_"));
  expect(read.length).toBeGreaterThan(10);
  for (const n of read) expect(METRICS).toContain(n);
  for (const n of names.filter((n) => n.includes(":"))) expect(recorded).toContain(n);
});

test("every label the rules match, group or join on is exported or added by the scrape", () => {
  const lists = exprs.flatMap((e) => [...e.matchAll(/\b(?:on|without|by|ignoring)\s*\(([^)]*)\)/g)].map((m) => m[1]!));
  const matched = exprs.flatMap((e) =>
    [...e.matchAll(/\{([^}]*)\}/g)].flatMap((m) => [...m[1]!.matchAll(/(\w+)\s*[=!]/g)].map((x) => x[1]!)),
  );
  const used = [...lists.flatMap((l) => l.split(",").map((s) => s.trim())), ...matched].filter(Boolean);
  expect(used.length).toBeGreaterThan(10);
  for (const l of used) expect(LABELS).toContain(l);
});
