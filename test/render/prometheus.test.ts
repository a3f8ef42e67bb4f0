import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { gunzipSync } from "node:zlib";
import { CATALOG, type MetricDef, type View } from "../../src/render/catalog.ts";
import { PrometheusRenderer, renderCatalog } from "../../src/render/prometheus.ts";
import { newStats } from "../../src/snapshot/refresher.ts";
import type { Snapshot } from "../../src/snapshot/types.ts";
import { FakeTime } from "../fake-time.ts";
import { emptySnapshot } from "../snapshot/fixture.ts";

const build = { version: "1", revision: "r", bunVersion: "b" };
const snap = (over: Partial<Snapshot> = {}): Snapshot => emptySnapshot({ collectedAt: 1_700_000_000_000, durationMs: 1_500, ...over });
const view = (snapshot: Snapshot | undefined): View => ({ snapshot, stats: newStats(), build });

describe("renderCatalog", () => {
  test("label values are escaped whatever CLS returns", async () => {
    const nasty = 'a"b\\c\nd ünï {}=,';
    const labels = {
      virtual_group_id: "1",
      virtual_group_name: nasty,
      server_id: "s",
      server_name: nasty,
      status: "x",
      deployed_on: "y",
      leasing_mode: "z",
    };
    const text = await renderCatalog(CATALOG, view(snap({ servers: [{ labels }] })), 'org "q"', "text");
    expect(text).toContain('virtual_group_name="a\\"b\\\\c\\nd ünï {}=,"');
    expect(text).toContain('org_name="org \\"q\\""');
    expect(text.split("\n").filter((l) => l.startsWith("nvidia_cls_license_server_info"))).toHaveLength(1);
  });

  test("numbers CLS did not report produce no sample; families without samples are left out", async () => {
    const labels = {
      virtual_group_id: "1",
      virtual_group_name: "v",
      server_id: "s",
      server_name: "n",
      feature_name: "f",
      product_name: "p",
      license_type: "l",
    };
    const text = await renderCatalog(CATALOG, view(snap({ serverFeatures: [{ labels, total: undefined, active: 0 }] })), "o", "text");
    expect(text).not.toContain("nvidia_cls_license_server_feature_total_quantity");
    expect(text).toContain("nvidia_cls_license_server_feature_active_leases{");
    expect(text).not.toContain("nvidia_cls_license_pool_in_use_quantity");
  });

  test("timestamps and durations are in seconds", async () => {
    const text = await renderCatalog(CATALOG, view(snap()), "o", "text");
    expect(text).toContain('nvidia_cls_scrape_timestamp_seconds{org_name="o"} 1700000000\n');
    expect(text).toContain('nvidia_cls_scrape_duration_seconds{org_name="o"} 1.5\n');
  });

  test("nvidia_cls_leader: 1 without an election, 0 on a follower, with or without data", async () => {
    expect(await renderCatalog(CATALOG, view(snap()), "o", "text")).toContain('nvidia_cls_leader{org_name="o"} 1\n');
    expect(await renderCatalog(CATALOG, view(undefined), "o", "text")).toContain('nvidia_cls_leader{org_name="o"} 1\n');
    const follower = { ...view(snap()), leader: false };
    expect(await renderCatalog(CATALOG, follower, "o", "text")).toContain('nvidia_cls_leader{org_name="o"} 0\n');
  });

  test("without a snapshot: up 0 and self-metrics only", async () => {
    const text = await renderCatalog(CATALOG, view(undefined), "o", "text");
    expect(text).toContain('nvidia_cls_up{org_name="o"} 0');
    expect(text).not.toContain("nvidia_cls_scrape_timestamp_seconds");
  });
});

describe("PrometheusRenderer", () => {
  function counting() {
    let rowsCalls = 0;
    const def: MetricDef = {
      name: "x_gauge",
      help: "h",
      type: "gauge",
      unit: "1",
      labels: [],
      rows: () => {
        rowsCalls++;
        return [{ labels: {}, value: 1 }];
      },
    };
    let liveCalls = 0;
    let clock = 0;
    const renderer = new PrometheusRenderer({
      catalog: [def],
      orgName: "o",
      live: async () => {
        liveCalls++;
        return "live 1\n";
      },
      liveTtlMs: 1_000,
      now: () => clock,
    });
    return { renderer, counts: () => [rowsCalls, liveCalls], tick: (ms: number) => (clock += ms) };
  }

  test("renders the catalogue once per snapshot and format, whatever the number of requests", async () => {
    const c = counting();
    const v = view(snap());
    const bodies = await Promise.all(Array.from({ length: 50 }, () => c.renderer.body(v, "text", false)));
    expect(new Set(bodies.map((b) => b.bytes)).size).toBe(1);
    expect(c.counts()).toEqual([1, 1]);
    await c.renderer.body(v, "openmetrics", false);
    expect(c.counts()).toEqual([2, 2]);
    await c.renderer.body(view(snap({ collectedAt: 2 })), "text", false);
    expect(c.counts()).toEqual([3, 3]);
  });

  test("ready() hands out a built body synchronously, and nothing for another snapshot or after the live TTL", async () => {
    const c = counting();
    const s1 = snap();
    expect(c.renderer.ready(s1, "text", false)).toBeUndefined();
    const built = await c.renderer.body(view(s1), "text", false);
    expect(c.renderer.ready(s1, "text", false)).toBe(built);
    expect(c.renderer.ready(s1, "text", true)).toBeUndefined();
    expect(c.renderer.ready(snap({ collectedAt: 2 }), "text", false)).toBeUndefined();
    c.tick(1_000);
    expect(c.renderer.ready(s1, "text", false)).toBeUndefined();
  });

  test("the live section is refreshed after its TTL without re-rendering the catalogue", async () => {
    const c = counting();
    const v = view(snap());
    await c.renderer.body(v, "text", true);
    c.tick(999);
    await c.renderer.body(v, "text", true);
    expect(c.counts()).toEqual([1, 1]);
    c.tick(1);
    const body = await c.renderer.body(v, "text", true);
    expect(c.counts()).toEqual([1, 2]);
    expect(new TextDecoder().decode(Bun.gunzipSync(body.bytes))).toEndWith("live 1\n");
  });
});

describe("PrometheusRenderer bodies", () => {
  const serverRows = Array.from({ length: 300 }, (_, i) => ({
    labels: {
      virtual_group_id: "1",
      virtual_group_name: "v",
      server_id: `s${i}`,
      server_name: `ñame "${i}"`,
      status: "ENABLED",
      deployed_on: "CLOUD",
      leasing_mode: "STANDARD",
    },
  }));
  const liveText = "process_open_fds 7\n";
  function renderer(time: FakeTime, onIdle?: () => void) {
    return new PrometheusRenderer({
      catalog: CATALOG,
      orgName: "o",
      live: async () => liveText,
      liveTtlMs: 1_000,
      now: () => time.now,
      timers: time,
      onIdle,
    });
  }

  test("identity and gzip bodies hold exactly the catalogue and the live section, in both formats", async () => {
    const time = new FakeTime();
    const v = view(snap({ servers: serverRows }));
    const r = renderer(time);
    for (const format of ["text", "openmetrics"] as const) {
      const expected = (await renderCatalog(CATALOG, v, "o", format)) + liveText + (format === "openmetrics" ? "# EOF\n" : "");
      const plain = await r.body(v, format, false);
      const zipped = await r.body(v, format, true);
      expect(new TextDecoder().decode(plain.bytes)).toBe(expected);
      expect(zipped.bytes[0]).toBe(0x1f);
      expect(zipped.bytes.length).toBeLessThan(plain.bytes.length / 5);
      expect(new TextDecoder().decode(gunzipSync(zipped.bytes))).toBe(expected);
      expect(zipped.headers["content-encoding"]).toBe("gzip");
      expect(plain.headers["content-encoding"]).toBeUndefined();
    }
  });

  test("the gzip body is one member any reader accepts, also for a new live period", async () => {
    const time = new FakeTime();
    const v = view(snap({ servers: serverRows }));
    const r = renderer(time);
    await r.body(v, "text", true);
    await time.advance(1_000);
    const body = await r.body(v, "text", true);
    const dir = mkdtempSync(`${tmpdir()}/renderer-`);
    try {
      await Bun.write(`${dir}/m.gz`, body.bytes);
      const child = Bun.spawnSync(["gzip", "-t", `${dir}/m.gz`]);
      expect(child.exitCode).toBe(0);
      // One member: the trailer's CRC and length cover the whole text, not only a last part.
      const plain = gunzipSync(body.bytes);
      const trailer = new DataView(body.bytes.buffer, body.bytes.byteOffset + body.bytes.length - 8);
      expect(trailer.getUint32(4, true)).toBe(plain.length);
      expect(trailer.getUint32(0, true)).toBe(Number(Bun.hash.crc32(plain)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("after two idle live periods the bodies are dropped and onIdle is called, once", async () => {
    const time = new FakeTime();
    let idle = 0;
    const s = snap({ servers: serverRows });
    const r = renderer(time, () => idle++);
    await r.body(view(s), "text", false);
    for (let i = 0; i < 10; i++) {
      await time.advance(600);
      await r.body(view(s), "text", false);
    }
    expect(idle).toBe(0);
    await time.advance(1_999);
    expect(idle).toBe(0);
    await time.advance(1);
    expect(idle).toBe(1);
    expect(r.ready(s, "text", false)).toBeUndefined();
    await time.advance(10_000);
    expect(idle).toBe(1);
  });
});
