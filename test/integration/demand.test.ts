/**
 * Demand end to end: simulator → exporter → GET /metrics. The three demand families must equal what
 * the simulator's truth implies (src/sim/expected-demand.ts reads the definitions from the model's
 * wire objects, independently of the exporter's src/snapshot/demand.ts).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config/index.ts";
import { createExporter, type Exporter } from "../../src/context.ts";
import { silentLogger } from "../../src/log.ts";
import {
  ALL_TRICKY,
  addTrickyData,
  expectedDemand,
  generateOrg,
  loadScenario,
  type Simulator,
  startSimulator,
} from "../../src/sim/index.ts";
import type { SimModel } from "../../src/sim/model.ts";
import { HistoryStore } from "../../src/store/index.ts";
import { KEY } from "../cls/harness.ts";
import { tempDir } from "../store/helpers.ts";
import { parseMetrics } from "./history-helpers.ts";

const FAMILIES = {
  inUse: "nvidia_cls_feature_seats_in_use",
  seats: "nvidia_cls_feature_seats",
  overage: "nvidia_cls_feature_overage_seats",
};
type Numbers = Record<keyof typeof FAMILIES, Record<string, number>>;

const rowKey = (vgId: string | number | null | undefined, feature: string) => `${vgId ?? "org"} ${feature}`;

function truth(model: SimModel, nowMs: number): Numbers {
  const out: Numbers = { inUse: {}, seats: {}, overage: {} };
  for (const d of expectedDemand(model, nowMs)) {
    const k = rowKey(d.vgId, d.featureName);
    out.inUse[k] = d.inUse;
    out.seats[k] = d.seats;
    if (d.overage !== null) out.overage[k] = d.overage;
  }
  return out;
}

async function served(ex: Exporter): Promise<Numbers> {
  const res = await ex.app.request("/metrics");
  expect(res.status).toBe(200);
  const samples = parseMetrics(await res.text());
  const out: Numbers = { inUse: {}, seats: {}, overage: {} };
  for (const [field, name] of Object.entries(FAMILIES) as [keyof Numbers, string][]) {
    for (const s of samples.filter((x) => x.name === name)) {
      const org = s.labels.scope === "org";
      // Org rows carry no group labels; group rows carry both.
      const groupLabels = Object.keys(s.labels).filter((l) => l.startsWith("virtual_group_"));
      expect(groupLabels).toEqual(org ? [] : ["virtual_group_id", "virtual_group_name"]);
      const k = rowKey(org ? null : s.labels.virtual_group_id, s.labels.feature_name!);
      expect(out[field][k]).toBeUndefined();
      out[field][k] = s.value;
    }
  }
  return out;
}

const sims: Simulator[] = [];
const exporters: Exporter[] = [];
afterAll(async () => {
  for (const ex of exporters) await ex.stop();
  for (const sim of sims) await sim.stop();
});

function exporterFor(sim: Simulator, history?: HistoryStore): Exporter {
  const config = loadConfig({
    env: { NVIDIA_API_KEY: KEY, NVIDIA_ORG_NAME: sim.orgName, NVIDIA_API_BASE_URL: sim.url },
    argv: [],
    readFile: () => "",
  });
  const ex = createExporter(config, {
    fetch: (u, i) => fetch(u, i),
    now: Date.now,
    log: silentLogger,
    build: { version: "1", revision: "r", bunVersion: "b" },
    history,
  });
  exporters.push(ex);
  return ex;
}

describe("the demand families on /metrics equal the simulator's truth", () => {
  test("lic-example: a renewal key that has not started yet, overage on one key", async () => {
    const sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: KEY });
    sims.push(sim);
    const got = await served(exporterFor(sim));
    const want = truth(sim.model, Date.now());
    expect(got).toEqual(want);
    expect(Object.keys(want.seats).some((k) => k.startsWith("org "))).toBe(true);
  });

  test("a generated org with renewal pairs, split keys, duplicate and unattributed leases", async () => {
    const model = generateOrg({ orgName: "gen", virtualGroups: 4, serversPerGroup: 3, featuresPerServer: 3, leasesPerFeature: 2, seed: 5 });
    addTrickyData(model, ALL_TRICKY);
    const sim = startSimulator({ scenario: model, apiKey: KEY });
    sims.push(sim);
    const got = await served(exporterFor(sim));
    const want = truth(model, Date.now());
    expect(got).toEqual(want);
    // The org's row of a feature is its groups' rows added up.
    const feature = Object.keys(want.inUse)
      .find((k) => k.startsWith("org "))!
      .slice(4);
    const groups = Object.entries(want.inUse).filter(([k]) => !k.startsWith("org ") && k.endsWith(` ${feature}`));
    expect(groups.length).toBeGreaterThan(1);
    expect(want.inUse[`org ${feature}`]).toBe(groups.reduce((n, [, v]) => n + v, 0));
  });
});

test("GET /report, read from the history file, ends the range with the numbers /metrics shows", async () => {
  const tmp = tempDir();
  const sim = startSimulator({ scenario: loadScenario("lic-example"), apiKey: KEY });
  sims.push(sim);
  const history = new HistoryStore({
    path: `${tmp.dir}/history.db`,
    orgName: sim.orgName,
    maxGapS: 600,
    rawRetentionS: 8 * 86_400,
    retentionS: 400 * 86_400,
    now: Date.now,
    log: silentLogger,
  });
  try {
    const ex = exporterFor(sim, history);
    const metrics = await served(ex);
    history.flush();
    // `to` past the refresh just recorded: the range excludes its end.
    const range = `from=-1h&to=${Math.floor(Date.now() / 1000) + 3600}`;
    const res = await ex.app.request(`/report?${range}`);
    expect(res.status).toBe(200);
    const report = (await res.json()) as {
      features: {
        scope: string;
        virtual_group_id: string | null;
        feature_name: string;
        in_use: number;
        seats: number;
        overage_seats: number | null;
        peak_in_use: number;
      }[];
    };
    const got: Numbers = { inUse: {}, seats: {}, overage: {} };
    for (const r of report.features) {
      const k = rowKey(r.scope === "org" ? null : r.virtual_group_id, r.feature_name);
      got.inUse[k] = r.in_use;
      got.seats[k] = r.seats;
      if (r.overage_seats !== null) got.overage[k] = r.overage_seats;
      expect(r.peak_in_use).toBe(r.in_use);
    }
    expect(got).toEqual(metrics);
    const csv = await (await ex.app.request(`/report?${range}&format=csv`)).text();
    expect(csv.split("\n")[0]).toStartWith("scope,virtual_group_id,virtual_group_name,feature_name,seats,in_use");
    expect(csv.trim().split("\n")).toHaveLength(report.features.length + 1);
  } finally {
    history.close();
    tmp.cleanup();
  }
});
