import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Counter, Gauge, Registry } from "prom-client";
import { loadConfig } from "../../src/config/index.ts";
import { createExporter } from "../../src/context.ts";
import { silentLogger } from "../../src/log.ts";
import { CATALOG, LIVE_CATALOG, type MetricDef, type Sample, type View } from "../../src/render/catalog.ts";
import { CONTENT_TYPES, EOF_LINE, exposition, type Format } from "../../src/render/exposition.ts";
import { createProcessMetrics } from "../../src/render/process.ts";
import { renderCatalog } from "../../src/render/prometheus.ts";
import { addTrickyData, generateOrg, mulberry32, type Simulator, startSimulator } from "../../src/sim/index.ts";
import { newStats } from "../../src/snapshot/refresher.ts";
import { KEY } from "../cls/harness.ts";

/** The renderer /metrics used before writing the exposition itself: a prom-client registry per render. */
async function viaPromClient(
  families: readonly MetricDef[],
  view: View,
  defaults: Record<string, string>,
  format: Format,
): Promise<string> {
  const registry = new (Registry as unknown as new (contentType: string) => Registry)(CONTENT_TYPES[format]);
  registry.setDefaultLabels(defaults);
  for (const def of families) {
    const rows = [...def.rows(view)];
    if (rows.length === 0) continue;
    const labelNames = [...def.labels];
    const metric =
      def.type === "counter"
        ? new Counter({ name: def.name, help: def.help, labelNames, registers: [registry] })
        : new Gauge({ name: def.name, help: def.help, labelNames, registers: [registry] });
    for (const { labels, value } of rows) {
      if (metric instanceof Counter) metric.inc(labels, value);
      else metric.set(labels, value);
    }
  }
  const text = await registry.metrics();
  return text.endsWith(EOF_LINE) ? text.slice(0, -EOF_LINE.length) : text;
}

const FORMATS: Format[] = ["text", "openmetrics"];
const build = { version: "1.2.3", revision: "abc", bunVersion: "1.4.5" };
const bare = (): View => ({ snapshot: undefined, stats: newStats(), build });
const def = (name: string, type: MetricDef["type"], labels: string[], rows: Sample[], help = "h"): MetricDef => ({
  name,
  type,
  labels,
  help,
  unit: "1",
  rows: () => rows,
});

async function expectSameBytes(families: readonly MetricDef[], view: View, defaults: Record<string, string> = { org_name: "o" }) {
  for (const format of FORMATS) {
    const mine = exposition(
      families.map((d) => [d, d.rows(view)] as const),
      format,
      defaults,
    );
    expect(mine).toBe(await viaPromClient(families, view, defaults, format));
  }
}

describe("the exposition is byte for byte what prom-client wrote", () => {
  let sim: Simulator;
  beforeAll(() => {
    const model = generateOrg({ orgName: "gen", virtualGroups: 3, serversPerGroup: 4, featuresPerServer: 5, leasesPerFeature: 3, seed: 7 });
    addTrickyData(model);
    sim = startSimulator({ scenario: model, apiKey: KEY });
  });
  afterAll(() => sim.stop());

  test("a whole refreshed org, catalogue and live section, both formats", async () => {
    const config = loadConfig({
      env: { NVIDIA_API_KEY: KEY, NVIDIA_ORG_NAME: "gen", NVIDIA_API_BASE_URL: sim.url },
      argv: [],
      readFile: () => "",
    });
    const ex = createExporter(config, { fetch: (u, i) => fetch(u, i), now: Date.now, log: silentLogger, build });
    const snapshot = await ex.cache.refresh();
    expect(snapshot?.serverFeatures.length).toBeGreaterThan(50);
    const view: View = {
      snapshot,
      stats: ex.stats,
      build,
      history: { stats: { writeErrors: new Map([["full", 2]]), lastWriteAt: 1_700_000_000_500, databaseBytes: 4096 }, available: true },
      otlp: { exports: 3, failures: new Map([["unavailable", 1]]), lastSuccessAt: 1_700_000_100_000, lastFailure: undefined },
    };
    await expectSameBytes(CATALOG, view, { org_name: "gen" });
    await expectSameBytes(LIVE_CATALOG, view, { org_name: "gen" });
    for (const format of FORMATS) {
      expect(await renderCatalog(CATALOG, view, "gen", format)).toBe(await viaPromClient(CATALOG, view, { org_name: "gen" }, format));
    }
    await ex.stop();
  });

  test("escaping of label values, help text and the default label", async () => {
    const nasty = ['a"b\\c\nd', "ünï ✓ {}=,:", "", "\\n", '"', "tab\there", "\r\n", "emoji 🚀"];
    const rows = nasty.map((v, i) => ({ labels: { a: v, b: `${i}` }, value: i }));
    await expectSameBytes([def("x_gauge", "gauge", ["a", "b"], rows, 'help with "quotes", \\ and \n newline')], bare(), {
      org_name: 'org "q"\\\n',
    });
    await expectSameBytes([def("x_gauge", "gauge", ["a", "b", "org_name"], [{ labels: { org_name: "mine", a: "1" }, value: 1 }])], bare());
  });

  test("numbers as prom-client spells them", async () => {
    const values = [0, -0, 1, -1, 1.5, 1e21, 1e-7, 5e-324, Number.MAX_VALUE, 1_700_000_000, Number.NaN, Infinity, -Infinity];
    await expectSameBytes(
      [
        def(
          "x_gauge",
          "gauge",
          ["i"],
          values.map((value, i) => ({ labels: { i: `${i}` }, value })),
        ),
      ],
      bare(),
    );
    await expectSameBytes(
      [
        def(
          "x_total",
          "counter",
          ["i"],
          [0, 1.5, 1e21, Number.NaN].map((value, i) => ({ labels: { i: `${i}` }, value })),
        ),
      ],
      bare(),
    );
  });

  test("one sample per label set: a gauge keeps the last, a counter sums, both keep the first position", async () => {
    const rows = [
      { labels: { a: "1", b: "2" }, value: 1 },
      { labels: { a: "3", b: "4" }, value: 2 },
      { labels: { b: "2", a: "1" }, value: 3 },
      { labels: { a: "1", b: "2" }, value: 4 },
    ];
    await expectSameBytes([def("x_gauge", "gauge", ["a", "b"], rows), def("y_total", "counter", ["a", "b"], rows)], bare());
  });

  test("families without samples are left out; no family at all is one newline; counters renamed in OpenMetrics only", async () => {
    const one = [{ labels: {}, value: 2 }];
    const families = [
      def("a_gauge", "gauge", [], []),
      def("b_total", "counter", [], one),
      def("c_gauge", "gauge", [], one),
      def("d_total", "counter", [], []),
    ];
    await expectSameBytes(families, bare());
    await expectSameBytes([def("a_gauge", "gauge", [], [])], bare());
    expect(exposition([], "text")).toBe("\n");
    await expectSameBytes([def("no_suffix", "counter", [], one), def("x_total_total", "counter", [], one)], bare(), {});
  });

  test("random label sets, orders, repeats and values", async () => {
    const rng = mulberry32(42);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rng() * xs.length)]!;
    const alphabet = ["a", "Z", "0", " ", '"', "\\", "\n", ",", "=", ":", "{", "}", "é", "✓", "🚀"];
    const value = () => pick([Math.floor(rng() * 100), rng() * 1e6, -rng(), 0, Number.NaN, Infinity, 1e-9 * rng()]);
    for (let round = 0; round < 30; round++) {
      const names = ["x", "y", "z"].slice(0, 1 + Math.floor(rng() * 3));
      const pool = Array.from({ length: 6 }, () => Array.from({ length: Math.floor(rng() * 5) }, () => pick(alphabet)).join(""));
      const rows = Array.from({ length: 40 }, () => {
        const entries = names.filter(() => rng() < 0.9).map((n) => [n, pick(pool)] as const);
        if (rng() < 0.5) entries.reverse();
        return { labels: Object.fromEntries(entries), value: Math.abs(value()) };
      });
      const counterRows = rows.filter((r) => Number.isFinite(r.value));
      await expectSameBytes([def("r_gauge", "gauge", names, rows), def("r_total", "counter", names, counterRows)], bare(), {
        org_name: pick(pool),
      });
    }
  });

  test("what prom-client refused is refused", () => {
    const render = (d: MetricDef) => exposition([[d, d.rows(bare())]], "text");
    expect(() => render(def("x", "gauge", ["a"], [{ labels: { b: "1" }, value: 1 }]))).toThrow();
    expect(() => render(def("x_total", "counter", [], [{ labels: {}, value: -1 }]))).toThrow();
    expect(() => render(def("x_total", "counter", [], [{ labels: {}, value: Infinity }]))).toThrow();
    expect(() => render(def("bad-name", "gauge", [], [{ labels: {}, value: 1 }]))).toThrow();
    expect(() => render(def("x", "gauge", ["bad-label"], [{ labels: {}, value: 1 }]))).toThrow();
    const twice = def("x", "gauge", [], [{ labels: {}, value: 1 }]);
    expect(() =>
      exposition(
        [
          [twice, twice.rows(bare())],
          [twice, twice.rows(bare())],
        ],
        "text",
      ),
    ).toThrow();
  });
});

test("process metrics keep prom-client's names, help and layout", async () => {
  const mask = (text: string) => text.replace(/^(process_\w+) \S+$/gm, "$1 V");
  const live = createProcessMetrics(1_700_000_000_000);
  for (const format of FORMATS) {
    const registry = new (Registry as unknown as new (contentType: string) => Registry)(CONTENT_TYPES[format]);
    new Gauge({ name: "process_resident_memory_bytes", help: "Resident memory size in bytes.", registers: [registry] });
    new Counter({ name: "process_cpu_seconds_total", help: "Total user and system CPU time spent in seconds.", registers: [registry] });
    new Gauge({
      name: "process_start_time_seconds",
      help: "Start time of the process since unix epoch in seconds.",
      registers: [registry],
    });
    new Gauge({ name: "process_open_fds", help: "Number of open file descriptors.", registers: [registry] });
    const reference = (await registry.metrics()).replace(EOF_LINE, "");
    const text = await live(format);
    expect(mask(text)).toBe(mask(reference));
    expect(text).toContain("process_start_time_seconds 1700000000\n");
    expect(Number(/^process_resident_memory_bytes (\d+)$/m.exec(text)?.[1])).toBeGreaterThan(1e6);
  }
});
