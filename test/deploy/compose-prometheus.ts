/**
 * deploy/compose/prometheus.yml as the tests use it: the same file compose.yaml mounts, with the
 * scrape targets, intervals and rule files' paths substituted for a test's own. The rule files are
 * found through compose.yaml's mounts (the container path prometheus.yml names → the repository's
 * file), so a Prometheus started by a test loads deploy/prometheus's rules exactly as compose does.
 */
import { dirname, isAbsolute, resolve } from "node:path";
import { z } from "zod";

export const COMPOSE_DIR = new URL("../../deploy/compose/", import.meta.url).pathname;
export const COMPOSE_FILE = resolve(COMPOSE_DIR, "compose.yaml");
export const COMPOSE_PROMETHEUS_FILE = resolve(COMPOSE_DIR, "prometheus.yml");

const ScrapeConfig = z.looseObject({ job_name: z.string(), static_configs: z.array(z.object({ targets: z.array(z.string()) })) });
export const PrometheusConfig = z.looseObject({
  global: z.looseObject({ scrape_interval: z.string(), scrape_timeout: z.string(), evaluation_interval: z.string() }),
  rule_files: z.array(z.string()),
  scrape_configs: z.array(ScrapeConfig).length(1),
});
const ComposeFile = z.object({
  services: z.record(z.string(), z.looseObject({ volumes: z.array(z.string()).optional() })),
});

export const readComposePrometheusConfig = async () =>
  PrometheusConfig.parse(Bun.YAML.parse(await Bun.file(COMPOSE_PROMETHEUS_FILE).text()));

/** The bind mounts of compose.yaml's `service`: container path → absolute host path. */
export async function bindMounts(service: string): Promise<Map<string, string>> {
  const compose = ComposeFile.parse(Bun.YAML.parse(await Bun.file(COMPOSE_FILE).text()));
  const mounts = new Map<string, string>();
  for (const v of compose.services[service]?.volumes ?? []) {
    const [host, container] = v.split(":") as [string, string];
    if (host.startsWith(".") || isAbsolute(host)) mounts.set(container, resolve(dirname(COMPOSE_FILE), host));
  }
  return mounts;
}

export interface ScrapeJob {
  job: string;
  targets: string[];
}

/**
 * The compose Prometheus configuration (YAML text) for a test: one copy of its job per `jobs`
 * entry (its settings kept, name and targets replaced), every interval set to `interval`, and the
 * rule files at their paths in the repository.
 */
export async function composePrometheusConfig(jobs: ScrapeJob[], interval: string): Promise<string> {
  const config = await readComposePrometheusConfig();
  const mounts = await bindMounts("prometheus");
  const ruleFiles = config.rule_files.map((f) => {
    const host = mounts.get(f);
    if (!host) throw new Error(`deploy/compose/prometheus.yml loads ${f}, which compose.yaml does not mount into prometheus`);
    return host;
  });
  const [job] = config.scrape_configs as [z.infer<typeof ScrapeConfig>];
  const out = {
    ...config,
    global: { ...config.global, scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    rule_files: ruleFiles,
    scrape_configs: jobs.map((j) => ({ ...job, job_name: j.job, static_configs: [{ targets: j.targets }] })),
  };
  return Bun.YAML.stringify(out, null, 2);
}
