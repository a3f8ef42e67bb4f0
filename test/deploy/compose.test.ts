/**
 * deploy/compose/: `docker-compose config` (Debian's docker-compose 1.29, which validates without a
 * Docker engine; `.ci/run` installs it) accepts the file against CLS and as the demo; every file it
 * mounts exists in the repository; the demo's exporter is pointed at its simulator; Prometheus
 * loads deploy/prometheus's rules and scrapes the exporter as job nvidia-cls; Grafana gets
 * deploy/grafana's provisioning where its dashboard provider looks.
 */
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { DEFAULT_LISTEN, SETTINGS } from "../../src/config/settings.ts";
import { bindMounts, COMPOSE_DIR, COMPOSE_FILE, readComposePrometheusConfig } from "./compose-prometheus.ts";

const ROOT = resolve(COMPOSE_DIR, "../..");
const bin = Bun.which("docker-compose");

const Service = z.looseObject({
  environment: z.record(z.string(), z.string()).optional(),
  volumes: z.array(z.string()).optional(),
  command: z.array(z.string()).optional(),
  profiles: z.array(z.string()).optional(),
});
const Config = z.object({
  services: z.record(z.string(), Service),
  secrets: z.record(z.string(), z.object({ file: z.string() })).optional(),
});
type Config = z.infer<typeof Config>;

/** `docker-compose config` with only `env` (and PATH) in its environment; resolves with its exit code and output. */
async function composeConfig(env: Record<string, string>, ...flags: string[]) {
  const p = Bun.spawn([bin!, ...flags, "-f", COMPOSE_FILE, "config"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out, err };
}
async function parsedConfig(env: Record<string, string>, ...flags: string[]): Promise<Config> {
  const r = await composeConfig(env, ...flags);
  expect(r.err + (r.code === 0 ? "" : r.out)).not.toContain("ERROR");
  expect(r.code).toBe(0);
  return Config.parse(Bun.YAML.parse(r.out));
}
/** Host paths of every bind mount and secret file of a resolved configuration. */
const hostPaths = (c: Config): string[] => [
  ...Object.values(c.services).flatMap((s) => (s.volumes ?? []).map((v) => v.split(":")[0]!).filter((h) => h.startsWith("/"))),
  ...Object.values(c.secrets ?? {}).map((s) => s.file),
];
const DEMO = ["--env-file", join(COMPOSE_DIR, "demo.env"), "--profile", "demo"];

describe.skipIf(!bin)("docker-compose config", () => {
  test("against CLS it wants NVIDIA_ORG_NAME", async () => {
    const r = await composeConfig({});
    expect(r.code).not.toBe(0);
    expect(r.out + r.err).toContain("set NVIDIA_ORG_NAME");
  });

  test("against CLS: valid, CLS's URL, every mounted file in the repository but the user's key file", async () => {
    const c = await parsedConfig({ NVIDIA_ORG_NAME: "your-org" });
    expect(c.services.exporter?.environment?.NVIDIA_API_BASE_URL).toBe("https://api.licensing.nvidia.com");
    const missing = hostPaths(c).filter((p) => !existsSync(p));
    expect(missing.map((p) => relative(ROOT, p))).toEqual(["deploy/compose/nvidia-api-key"].filter((p) => !existsSync(join(ROOT, p))));
    expect(await Bun.file(join(COMPOSE_DIR, ".gitignore")).text()).toContain("\nnvidia-api-key\n");
  });

  test("the demo: valid, every mounted file exists, the exporter reaches the simulator with its key and org", async () => {
    const c = await parsedConfig({}, ...DEMO);
    expect(hostPaths(c).filter((p) => !existsSync(p))).toEqual([]);
    const sim = c.services.simulator!;
    expect(sim.profiles).toEqual(["demo"]);
    const { values } = parseArgs({
      args: sim.command!,
      options: {
        scenario: { type: "string" },
        host: { type: "string" },
        port: { type: "string" },
        "api-key": { type: "string" },
        "churn-interval": { type: "string" },
      },
    });
    const env = c.services.exporter!.environment!;
    expect(env.NVIDIA_API_BASE_URL).toBe(`http://simulator:${values.port}`);
    expect(values.host).toBe("0.0.0.0");
    expect(env.NVIDIA_ORG_NAME).toBe(values.scenario!);
    expect((await Bun.file(c.secrets!.nvidia_api_key!.file).text()).trim()).toBe(values["api-key"]!);
  });
});

describe("compose.yaml against the exporter and deploy/", () => {
  test("the exporter's variables are settings; its key is a file, never a variable", async () => {
    const compose = Bun.YAML.parse(await Bun.file(COMPOSE_FILE).text()) as {
      services: { exporter: { environment: Record<string, string> } };
    };
    const names: ReadonlySet<string> = new Set(SETTINGS.map((s) => s.env));
    const env = Object.keys(compose.services.exporter.environment);
    expect(env.filter((e) => !names.has(e))).toEqual([]);
    expect(env).toContain("NVIDIA_API_KEY_FILE");
    expect(env).not.toContain("NVIDIA_API_KEY");
  });

  test("Prometheus loads both rule files of deploy/prometheus and scrapes the exporter as job nvidia-cls", async () => {
    const config = await readComposePrometheusConfig();
    const mounts = await bindMounts("prometheus");
    expect(config.rule_files.map((f) => relative(ROOT, mounts.get(f) ?? f))).toEqual([
      "deploy/prometheus/recording-rules.yml",
      "deploy/prometheus/alerts.yml",
    ]);
    expect(config.scrape_configs).toEqual([{ job_name: "nvidia-cls", static_configs: [{ targets: [`exporter${DEFAULT_LISTEN}`] }] }]);
    expect(relative(ROOT, mounts.get("/etc/prometheus/prometheus.yml")!)).toBe("deploy/compose/prometheus.yml");
  });

  test("Grafana gets deploy/grafana's provisioning, its dashboards where the provider reads them, its datasource at compose's Prometheus", async () => {
    const mounts = await bindMounts("grafana");
    const provisioning = mounts.get("/etc/grafana/provisioning");
    expect(relative(ROOT, provisioning ?? "")).toBe("deploy/grafana/provisioning");
    const provider = Bun.YAML.parse(await Bun.file(join(provisioning!, "dashboards/nvidia-cls.yml")).text()) as {
      providers: { options: { path: string } }[];
    };
    const dashboards = mounts.get(provider.providers[0]!.options.path);
    expect(relative(ROOT, dashboards ?? "")).toBe("deploy/grafana/dashboards");
    expect(existsSync(join(dashboards!, "nvidia-cls.json"))).toBe(true);
    const datasources = Bun.YAML.parse(await Bun.file(join(provisioning!, "datasources/prometheus.yml")).text()) as {
      datasources: { url: string }[];
    };
    expect(datasources.datasources.map((d) => new URL(d.url).host)).toEqual(["prometheus:9090"]);
  });
});
