/**
 * deploy/grafana: the dashboard is importable (shape, datasource as a variable), its provisioning
 * files are what Grafana reads, and every query it holds (panels, nested panels, variables) runs
 * against a real Prometheus that scraped two replicas of the exporter on the simulator with the
 * recording rules loaded: no query errors, and none is empty unless listed below with the reason.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { CATALOG, LIVE_CATALOG } from "../../src/render/catalog.ts";
import { Harness } from "../integration/harness.ts";
import { outerByLabels, PER_PROCESS_COUNTERS, rawFamiliesOf, TABLE_ROW_LABELS } from "./grafana-aggregations.ts";
import { DATASOURCE_REF, loadDashboard, panelQueries, panelsOf, queryVariablesOf, substitute, unsubstituted } from "./grafana-dashboard.ts";
import { BUILT_INS, type Ran, resolveVariables, runPanelQueries } from "./grafana-queries.ts";
import { JOB, type Stack, startStack } from "./grafana-stack.ts";

const dashboard = await loadDashboard();

/**
 * Panel queries that are empty in a healthy setup, each with a query proving why (it must have a
 * sample). Every other panel query must return data.
 */
const LEGITIMATELY_EMPTY: Record<string, { reason: string; proof: string }> = {
  "CLS errors by endpoint and reason / A": {
    reason: "no refresh failed: its series are all 0, and the panel draws only pairs that failed",
    proof: `sum(nvidia_cls_refresh_errors_total{job="${JOB}"}) == 0`,
  },
  "History write errors / A": {
    reason: "every snapshot was written: its series are all 0, and the panel draws only reasons that failed",
    proof: `sum(nvidia_cls_history_write_errors_total{job="${JOB}"}) == 0`,
  },
  "OTLP failures by reason / A": {
    reason: "the collector accepted every push: its series are all 0, and the panel draws only reasons that failed",
    proof: `sum(nvidia_cls_otlp_export_failures_total{job="${JOB}"}) == 0`,
  },
  "Unreadable items / A": {
    reason: "the simulator sends only items the exporter reads fully: the family has no series then",
    proof: `absent(nvidia_cls_invalid_items{job="${JOB}"}) and on () (sum(nvidia_cls_up{job="${JOB}"}) > 0)`,
  },
};

describe("the dashboard JSON is importable", () => {
  test("uid, title, schema version, and panels with gridPos, type and targets (zod)", () => {
    expect(dashboard.uid).toBe("nvidia-cls");
    expect(panelQueries(dashboard).length).toBeGreaterThan(20);
  });

  test("panel ids are unique, nested panels sit in collapsed rows only, panels fit the 24-column grid", () => {
    const ids = dashboard.panels.flatMap((p) => [p.id, ...("collapsed" in p ? (p.panels as { id: number }[]).map((n) => n.id) : [])]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) if ("collapsed" in p && !p.collapsed) expect(p.panels, p.title).toEqual([]);
    expect(dashboard.panels.some((p) => "collapsed" in p && p.collapsed && (p.panels as unknown[]).length > 0)).toBe(true);
    for (const p of panelsOf(dashboard)) expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
  });

  test("every datasource reference is the datasource variable, of type prometheus", () => {
    const refs: unknown[] = [];
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === "object") for (const [k, v] of Object.entries(node)) k === "datasource" ? refs.push(v) : walk(v);
    };
    walk(dashboard);
    // The built-in annotation query is Grafana's own.
    const others = refs.filter((r) => !Bun.deepEquals(r, { type: "grafana", uid: "-- Grafana --" }) && !Bun.deepEquals(r, DATASOURCE_REF));
    expect(others).toEqual([]);
    expect(refs.filter((r) => Bun.deepEquals(r, DATASOURCE_REF)).length).toBeGreaterThan(panelQueries(dashboard).length);
  });

  test("variables org, virtual group and feature, each from label_values, multi-value with All", () => {
    expect(queryVariablesOf(dashboard).map((v) => [v.name, v.multi, v.includeAll, v.allValue])).toEqual([
      ["org", true, true, ".*"],
      ["virtual_group", true, true, ".*"],
      ["feature", true, true, ".*"],
    ]);
  });

  test("no query refers to a variable the dashboard does not define", () => {
    const known = Object.fromEntries([...queryVariablesOf(dashboard).map((v) => v.name), ...Object.keys(BUILT_INS)].map((n) => [n, "x"]));
    const left = panelQueries(dashboard).flatMap((q) => unsubstituted(substitute(q.expr, known)).map((s) => `${q.name}: ${s}`));
    expect(left).toEqual([]);
  });

  test("every data family is read through a max directly around it (replicas serve the same series)", () => {
    // A max elsewhere in the expression (around a sum, say) would still add the replicas up.
    const wrong = panelQueries(dashboard).flatMap((q) =>
      rawFamiliesOf(q.expr)
        .filter((r) => !PER_PROCESS_COUNTERS.includes(r.family) && r.aggregation !== "max")
        .map((r) => `${q.name}: ${r.family} under ${r.aggregation}`),
    );
    expect(wrong).toEqual([]);
  });

  test("every per-process counter is summed over the replicas, each counting its own work", () => {
    const counters = [...CATALOG, ...LIVE_CATALOG].filter((m) => m.type === "counter").map((m) => m.name);
    expect([...PER_PROCESS_COUNTERS].sort()).toEqual(counters.sort());
    const read = panelQueries(dashboard).flatMap((q) => rawFamiliesOf(q.expr).map((r) => ({ ...r, name: q.name })));
    const counted = read.filter((r) => PER_PROCESS_COUNTERS.includes(r.family));
    expect(new Set(counted.map((r) => r.family)).size).toBeGreaterThanOrEqual(6);
    expect(counted.filter((r) => r.aggregation !== "sum").map((r) => `${r.name}: ${r.family} under ${r.aggregation}`)).toEqual([]);
  });

  test("the tables keep each row's ids, so rows of the same name stay apart", () => {
    for (const q of panelQueries(dashboard).filter((q) => q.panel in TABLE_ROW_LABELS))
      expect(outerByLabels(q.expr), q.name).toEqual(expect.arrayContaining(TABLE_ROW_LABELS[q.panel]!));
    for (const panel of Object.keys(TABLE_ROW_LABELS)) expect(panelQueries(dashboard).map((q) => q.panel)).toContain(panel);
  });

  test("the legitimately empty list names panel queries that exist", () => {
    const names = panelQueries(dashboard).map((q) => q.name);
    for (const name of Object.keys(LEGITIMATELY_EMPTY)) expect(names).toContain(name);
  });
});

describe("the provisioning files", () => {
  const yaml = async (path: string) =>
    Bun.YAML.parse(await Bun.file(new URL(`../../deploy/grafana/provisioning/${path}`, import.meta.url)).text());

  test("a Prometheus datasource, the default one", async () => {
    const ds = (await yaml("datasources/prometheus.yml")) as { apiVersion: number; datasources: Record<string, unknown>[] };
    expect(ds.apiVersion).toBe(1);
    expect(ds.datasources).toHaveLength(1);
    expect(ds.datasources[0]).toMatchObject({ type: "prometheus", access: "proxy", isDefault: true });
    expect(String(ds.datasources[0]!.url)).toMatch(/^https?:\/\//);
  });

  test("a file provider for the dashboards folder", async () => {
    const p = (await yaml("dashboards/nvidia-cls.yml")) as { apiVersion: number; providers: Record<string, unknown>[] };
    expect(p.apiVersion).toBe(1);
    expect(p.providers).toHaveLength(1);
    expect(p.providers[0]).toMatchObject({ type: "file", options: { path: expect.stringMatching(/^\//) } });
  });
});

describe("every query against a real Prometheus", () => {
  const harness = new Harness();
  let stack: Stack;
  let all: Ran[];

  beforeAll(async () => {
    stack = await startStack(harness);
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await harness.cleanup();
  }, 30_000);

  test("the variables resolve to the simulator's org, virtual groups and features", async () => {
    const { options } = await resolveVariables(stack.prom, dashboard, "all");
    const e = stack.sim.expected();
    expect(options.org).toEqual([stack.sim.orgName]);
    expect(options.virtual_group).toEqual([...new Set(stack.sim.model.virtualGroups.map((vg) => vg.name))].sort());
    expect(options.feature).toEqual([...new Set(e.serverFeatures.map((f) => f.featureName))].sort());
  });

  test("with All selected, every panel query runs and has data, bar the legitimately empty", async () => {
    const { values } = await resolveVariables(stack.prom, dashboard, "all");
    // Rates need a few scrapes in their window: wait until nothing but the listed panels is empty.
    let empty: string[] = [];
    for (let i = 0; i < 40; i++) {
      all = await runPanelQueries(stack.prom, dashboard, values);
      empty = all.filter((q) => q.series.length === 0 && !(q.name in LEGITIMATELY_EMPTY)).map((q) => `${q.name}: ${q.sent}`);
      if (!empty.length) break;
      await Bun.sleep(500);
    }
    expect(empty).toEqual([]);
    for (const [name, { reason, proof }] of Object.entries(LEGITIMATELY_EMPTY))
      expect((await stack.prom.query(proof)).length, `${name} (${reason}): ${proof}`).toBeGreaterThan(0);
  }, 60_000);

  test("no query result keeps a replica apart: instance and pod are aggregated away", () => {
    const apart = all.flatMap((q) => q.series.filter((s) => "instance" in s.metric || "pod" in s.metric).map(() => q.name));
    expect([...new Set(apart)]).toEqual([]);
  });

  test("the seats and leases panels show one replica's numbers, never the replicas added up", async () => {
    const one = `instance="${stack.exporters[0]!.host}"`;
    const byLabels = async (q: string, labels: string[]) =>
      Object.fromEntries((await stack.prom.query(q)).map((s) => [labels.map((l) => s.metric[l]).join(" / "), Number(s.value[1])]));
    const panel = (name: string, labels: string[]) =>
      Object.fromEntries(all.find((q) => q.name === name)!.series.map((s) => [labels.map((l) => s.metric[l]).join(" / "), s.value]));
    const checks: [string, string, string[]][] = [
      ["Seats in use and bought, org / A", `nvidia_cls_feature_seats_in_use{scope="org", ${one}}`, ["feature_name"]],
      ["Seats in use and bought, org / B", `nvidia_cls_feature_seats{scope="org", ${one}}`, ["feature_name"]],
      [
        "Seats in use and bought per virtual group / A",
        `nvidia_cls_feature_seats_in_use{scope="virtual_group", ${one}}`,
        ["virtual_group_name", "feature_name"],
      ],
      [
        "Leases per license server / A",
        `sum by (virtual_group_name, server_name) (nvidia_cls_license_server_feature_active_leases{${one}})`,
        ["virtual_group_name", "server_name"],
      ],
    ];
    for (const [name, single, labels] of checks) {
      const want = await byLabels(single, labels);
      expect(Object.keys(want).length, single).toBeGreaterThan(0);
      expect(panel(name, labels), name).toEqual(want);
    }
    // The replicas are two exporters, each reporting the whole org.
    expect((await stack.prom.query(`count(nvidia_cls_up{job="${JOB}"})`))[0]?.value[1]).toBe("2");
  });

  test("with one org, virtual group and feature selected, every query runs and shows only that selection", async () => {
    const { options, values } = await resolveVariables(stack.prom, dashboard, "first");
    const chosen = { org_name: options.org![0]!, virtual_group_name: options.virtual_group![0]!, feature_name: options.feature![0]! };
    const ran = await runPanelQueries(stack.prom, dashboard, values);
    const outside = ran.flatMap((q) =>
      q.series.flatMap((s) =>
        Object.entries(chosen)
          .filter(([label, value]) => label in s.metric && s.metric[label] !== value && q.expr.includes(`${label}=~`))
          .map(([label]) => `${q.name}: ${label}=${s.metric[label]}`),
      ),
    );
    expect(outside).toEqual([]);
    // The selection narrows the panels, it does not empty them.
    for (const name of [
      "Seats in use and bought, org / A",
      "Seats in use and bought per virtual group / A",
      "Leases per license server / A",
    ])
      expect(ran.find((q) => q.name === name)!.series.length, name).toBeGreaterThan(0);
  });
});
