/**
 * End to end with a real Prometheus 2.42: simulator → exporter process → Prometheus scrape (which
 * negotiates OpenMetrics) → PromQL query API. The numbers Prometheus stores must equal the
 * simulator's ground truth, follow lease churn, and the exposition must pass `promtool check metrics`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { loadScenario } from "../../src/sim/fixtures.ts";
import { generateOrg } from "../../src/sim/generate.ts";
import { type Simulator, startSimulator } from "../../src/sim/server.ts";
import { composePrometheusConfig } from "../deploy/compose-prometheus.ts";
import { type Exporter, Harness, requireBinary, waitFor } from "./harness.ts";
import { PROMETHEUS_HINT, type Prometheus, promtoolCheckMetrics, startPrometheus } from "./prom.ts";

const API_KEY = "integration-test-key";
/** What Prometheus 2.42 sends when scraping (without native histograms). */
const PROMETHEUS_ACCEPT =
  "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
const WAIT = { timeoutMs: 30_000, intervalMs: 250 };

interface Case {
  job: string;
  sim: Simulator;
  exporter: Exporter;
}

const harness = new Harness();
const cases: Case[] = [];
const sims: Simulator[] = [];
let prom: Prometheus;

type Numbers = Record<string, Record<string, number>>;

/** Ground truth, keyed like the series: server_id + feature_name, product key + feature, pool + feature. */
function expectedNumbers(sim: Simulator): Numbers {
  const e = sim.expected();
  const out: Numbers = {
    active: {},
    total: {},
    entTotal: {},
    entInUse: {},
    entUnassigned: {},
    entStart: {},
    entEnd: {},
    overagePercent: {},
    overageAvailable: {},
    overageStart: {},
    overageDuration: {},
    entInfo: {},
    keyInfo: {},
    renewal: {},
    poolInUse: {},
    poolAllotment: {},
    unattributed: {},
  };
  const add = (map: string, key: string, n: number) => (out[map]![key] = (out[map]![key] ?? 0) + n);
  for (const f of e.serverFeatures) {
    add("active", `${f.serverId} ${f.featureName}`, f.activeLeases);
    add("total", `${f.serverId} ${f.featureName}`, f.totalQuantity);
  }
  for (const f of e.entitlementFeatures) {
    add("entTotal", `${f.emsProductKeyId} ${f.featureName}`, f.total);
    add("entInUse", `${f.emsProductKeyId} ${f.featureName}`, f.inUse);
    add("entUnassigned", `${f.emsProductKeyId} ${f.featureName}`, f.unassigned);
    const key = `${f.emsProductKeyId} ${f.featureName}`;
    const optional: [string, number | null][] = [
      ["entStart", f.start],
      ["entEnd", f.end],
      ["overagePercent", f.overagePercent],
      ["overageAvailable", f.overageAvailable],
      ["overageStart", f.overageStart],
      ["overageDuration", f.overageDuration],
    ];
    for (const [map, n] of optional) if (n !== null) add(map, key, n);
    out.entInfo![`${key} ${f.productFamily ?? "unknown"} ${f.productVersion ?? "unknown"}`] = 1;
    out.keyInfo![`${f.emsProductKeyId} ${f.saleType ?? "unknown"} ${f.movableAcrossVg ?? "unknown"}`] = 1;
    if (f.renewedEmsProductKeyId !== null) out.renewal![`${f.emsProductKeyId} ${f.renewedEmsProductKeyId}`] = 1;
  }
  for (const p of e.poolFeatures) {
    add("poolInUse", `${p.poolId} ${p.featureName}`, p.inUse);
    add("poolAllotment", `${p.poolId} ${p.featureName}`, p.allotment);
  }
  for (const u of e.unattributed) add("unattributed", `${u.vgId} ${u.featureName}`, u.activeLeases);
  return out;
}

/** The same numbers as Prometheus stored them from the latest scrape of `job`. */
async function promNumbers(job: string): Promise<Numbers> {
  const families: [string, string, string[]][] = [
    ["active", "nvidia_cls_license_server_feature_active_leases", ["server_id", "feature_name"]],
    ["total", "nvidia_cls_license_server_feature_total_quantity", ["server_id", "feature_name"]],
    ["entTotal", "nvidia_cls_entitlement_total_quantity", ["ems_product_key_id", "feature_name"]],
    ["entInUse", "nvidia_cls_entitlement_in_use_quantity", ["ems_product_key_id", "feature_name"]],
    ["entUnassigned", "nvidia_cls_entitlement_unassigned_quantity", ["ems_product_key_id", "feature_name"]],
    ["entStart", "nvidia_cls_entitlement_start_timestamp_seconds", ["ems_product_key_id", "feature_name"]],
    ["entEnd", "nvidia_cls_entitlement_end_timestamp_seconds", ["ems_product_key_id", "feature_name"]],
    ["overagePercent", "nvidia_cls_entitlement_overage_percent", ["ems_product_key_id", "feature_name"]],
    ["overageAvailable", "nvidia_cls_entitlement_overage_available_quantity", ["ems_product_key_id", "feature_name"]],
    ["overageStart", "nvidia_cls_entitlement_overage_start_timestamp_seconds", ["ems_product_key_id", "feature_name"]],
    ["overageDuration", "nvidia_cls_entitlement_overage_duration", ["ems_product_key_id", "feature_name"]],
    ["entInfo", "nvidia_cls_entitlement_info", ["ems_product_key_id", "feature_name", "product_family", "product_version"]],
    ["keyInfo", "nvidia_cls_product_key_info", ["ems_product_key_id", "sale_type", "movable_across_vg"]],
    ["renewal", "nvidia_cls_product_key_renewal_info", ["ems_product_key_id", "renewed_ems_product_key_id"]],
    ["poolInUse", "nvidia_cls_license_pool_in_use_quantity", ["pool_id", "feature_name"]],
    ["poolAllotment", "nvidia_cls_license_pool_allotment_quantity", ["pool_id", "feature_name"]],
    ["unattributed", "nvidia_cls_unattributed_leases", ["virtual_group_id", "feature_name"]],
  ];
  const out: Numbers = {};
  await Promise.all(
    families.map(async ([key, metric, labels]) => {
      const map: Record<string, number> = {};
      for (const s of await prom.query(`${metric}{job="${job}"}`)) {
        const k = labels.map((l) => s.metric[l]).join(" ");
        if (k in map) throw new Error(`two ${metric} series for ${k}`);
        map[k] = Number(s.value[1]);
      }
      out[key] = map;
    }),
  );
  return out;
}

const scalar = async (q: string): Promise<number | undefined> => {
  const r = await prom.query(q);
  return r.length === 1 ? Number(r[0]!.value[1]) : undefined;
};

beforeAll(async () => {
  requireBinary("prometheus", PROMETHEUS_HINT);
  requireBinary("promtool", PROMETHEUS_HINT);
  const plain = startSimulator({ scenario: loadScenario("lic-example"), apiKey: API_KEY, port: 0, seed: 11 });
  const generated = generateOrg({
    orgName: "gen-org",
    virtualGroups: 3,
    serversPerGroup: 2,
    featuresPerServer: 3,
    leasesPerFeature: 4,
    poolsPerServer: 2,
    seed: 7,
  });
  const compressed = startSimulator({ scenario: generated, apiKey: API_KEY, port: 0, compressedLeases: true, seed: 12 });
  sims.push(plain, compressed);
  const specs = [
    { job: "cls-lic-example", sim: plain },
    { job: "cls-generated-compressed", sim: compressed },
  ];
  const exporters = await Promise.all(
    specs.map(({ sim }) =>
      harness.startExporter(
        { NVIDIA_API_KEY: API_KEY, NVIDIA_ORG_NAME: sim.orgName, NVIDIA_API_BASE_URL: sim.url, CACHE_TTL: "2s", SCRAPE_TIMEOUT: "10s" },
        { ...WAIT, waitUp: true },
      ),
    ),
  );
  specs.forEach((s, i) => {
    cases.push({ ...s, exporter: exporters[i]! });
  });
  // deploy/compose/prometheus.yml itself (with deploy/prometheus's rules), targets and intervals substituted.
  const config = await composePrometheusConfig(
    cases.map((c) => ({ job: c.job, targets: [c.exporter.host] })),
    "1s",
  );
  prom = await startPrometheus(harness, config, WAIT);
}, 90_000);

afterAll(async () => {
  await harness.cleanup();
  await Promise.allSettled(sims.map((s) => s.stop()));
}, 30_000);

describe("exporter scraped by a real Prometheus", () => {
  test("prometheus and promtool are installed", () => {
    expect(Bun.which("prometheus"), PROMETHEUS_HINT).not.toBeNull();
    expect(Bun.which("promtool"), PROMETHEUS_HINT).not.toBeNull();
  });

  test("Prometheus scrapes successfully and stores the simulator's numbers", async () => {
    for (const c of cases) {
      await waitFor(
        `up{job="${c.job}"} == 1 and nvidia_cls_up == 1 in Prometheus`,
        async () => {
          c.exporter.proc.assertAlive();
          return (await scalar(`up{job="${c.job}"}`)) === 1 && (await scalar(`nvidia_cls_up{job="${c.job}"}`)) === 1 ? true : undefined;
        },
        WAIT,
      );
      const want = expectedNumbers(c.sim);
      expect(Object.keys(want.active!).length).toBeGreaterThan(0);
      expect(Object.keys(want.entTotal!).length).toBeGreaterThan(0);
      // Both orgs carry a renewed key pair and an overage in progress, so those series are compared too.
      expect(Object.keys(want.renewal!).length).toBeGreaterThan(0);
      expect(Object.keys(want.overageStart!).length).toBeGreaterThan(0);
      expect(await promNumbers(c.job)).toEqual(want);
    }
  }, 60_000);

  test("the README's renewal query adds up seats without the keys a renewal replaces", async () => {
    for (const c of cases) {
      const e = c.sim.expected();
      const replaced = new Set(e.entitlementFeatures.flatMap((f) => (f.renewedEmsProductKeyId ? [f.renewedEmsProductKeyId] : [])));
      expect(replaced.size).toBeGreaterThan(0);
      const want: Record<string, number> = {};
      for (const f of e.entitlementFeatures)
        if (!replaced.has(f.emsProductKeyId)) want[f.featureName] = (want[f.featureName] ?? 0) + f.total;
      const job = `{job="${c.job}"}`;
      const query = `sum by (feature_name) (nvidia_cls_entitlement_total_quantity${job} unless on (org_name, ems_product_key_id) label_replace(nvidia_cls_product_key_renewal_info${job}, "ems_product_key_id", "$1", "renewed_ems_product_key_id", "(.+)"))`;
      const got = Object.fromEntries((await prom.query(query)).map((r) => [r.metric.feature_name!, Number(r.value[1])]));
      expect(got).toEqual(want);
    }
  });

  test("Prometheus negotiated OpenMetrics, and the OpenMetrics body ends with # EOF", async () => {
    for (const c of cases) {
      // The OpenMetrics parser files counter metadata under the family name (no _total); the
      // text parser would file it under nvidia_cls_refreshes_total.
      const meta = await prom.api<{ metric: string; type: string }[]>(
        `/api/v1/targets/metadata?match_target=${encodeURIComponent(`{job="${c.job}"}`)}`,
      );
      const refreshes = meta.filter((m) => m.metric.startsWith("nvidia_cls_refreshes")).map((m) => [m.metric, m.type]);
      expect(refreshes).toEqual([["nvidia_cls_refreshes", "counter"]]);
      const targets = await prom.api<{ activeTargets: { labels: { job: string }; health: string; lastError: string }[] }>(
        "/api/v1/targets?state=active",
      );
      const target = targets.activeTargets.find((t) => t.labels.job === c.job);
      expect(target && { health: target.health, lastError: target.lastError }).toEqual({ health: "up", lastError: "" });
      const res = await fetch(`${c.exporter.url}/metrics`, { headers: { accept: PROMETHEUS_ACCEPT } });
      expect(res.headers.get("content-type")).toStartWith("application/openmetrics-text; version=1.0.0");
      const body = await res.text();
      expect(body.endsWith("\n# EOF\n")).toBe(true);
      expect(body.indexOf("# EOF")).toBe(body.length - "# EOF\n".length);
    }
  }, 60_000);

  test("lease churn in the simulator reaches Prometheus", async () => {
    await Promise.all(
      cases.map(async (c) => {
        const before = expectedNumbers(c.sim);
        // Churn until a server feature's active lease count moves (a tick may add and remove the same amount).
        for (let i = 0; i < 100 && Bun.deepEquals(expectedNumbers(c.sim).active, before.active); i++) c.sim.tick(3);
        const want = expectedNumbers(c.sim);
        expect(want.active).not.toEqual(before.active);
        const got = await waitFor(
          `Prometheus to show the churned numbers of ${c.job}`,
          async () => {
            c.exporter.proc.assertAlive();
            const now = await promNumbers(c.job);
            return Bun.deepEquals(now, want) ? now : undefined;
          },
          WAIT,
        ).catch(async (err) => ({ error: (err as Error).message, last: await promNumbers(c.job) }));
        expect(got).toEqual(want);
      }),
    );
    // Refreshes kept flowing: each exporter logged more than one successful refresh.
    for (const c of cases) expect(c.exporter.proc.output().match(/msg="refresh succeeded"/g)?.length ?? 0).toBeGreaterThan(1);
  }, 60_000);

  test("the compose configuration's rules load and record from each job's series", async () => {
    const { groups } = await prom.api<{ groups: { name: string; health?: string }[] }>("/api/v1/rules");
    expect(groups.map((g) => g.name)).toContain("nvidia-cls-demand-records");
    expect(groups.map((g) => g.name)).toContain("nvidia-cls-seats-alerts");
    const jobs = async () => (await prom.query("org:nvidia_cls_up:max")).map((r) => r.metric.job).sort();
    await waitFor(
      "org:nvidia_cls_up:max recorded for every job",
      async () => ((await jobs()).length === cases.length ? true : undefined),
      WAIT,
    );
    expect(await jobs()).toEqual(cases.map((c) => c.job).sort());
  }, 60_000);

  test("promtool check metrics accepts the text and OpenMetrics expositions", async () => {
    for (const c of cases) {
      const text = await (await fetch(`${c.exporter.url}/metrics`)).text();
      expect(await promtoolCheckMetrics(text)).toEqual({ code: 0, output: "" });
      // promtool 2.42 reads stdin with the text-format parser only. An OpenMetrics body still parses
      // (exit 1 would be a parse error), but a counter family `x` (TYPE/HELP without _total, as
      // OpenMetrics requires) leaves the sample `x_total` looking HELP-less to it: those findings,
      // and only those, are accepted.
      const om = await (await fetch(`${c.exporter.url}/metrics`, { headers: { accept: PROMETHEUS_ACCEPT } })).text();
      const counters = [...om.matchAll(/^# TYPE (\S+) counter$/gm)].map((m) => `${m[1]}_total no help text`);
      const result = await promtoolCheckMetrics(om);
      const findings = result.output.split("\n").filter(Boolean);
      expect({ code: result.code, unexpected: findings.filter((f) => !counters.includes(f)) }).toEqual({
        code: findings.length ? 3 : 0,
        unexpected: [],
      });
    }
  }, 60_000);
});
