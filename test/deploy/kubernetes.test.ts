/**
 * deploy/kubernetes/: every manifest, of the base and of the overlay as kustomize would build it,
 * passes the Kubernetes and prometheus-operator schemas; the kustomizations list exactly the files
 * there; the manifests agree with src/config/settings.ts; the PrometheusRule is the one generated
 * from deploy/prometheus/.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { PROMETHEUS_RULE_PATH, prometheusRuleYaml } from "../../scripts/prometheus-rule.ts";
import { DEFAULT_LISTEN, SETTINGS } from "../../src/config/settings.ts";
import { typeCheckManifests, validateManifest } from "./kubernetes-models.ts";
import { applyJsonPatch, build, KUBERNETES_DIR, type Manifest, readKustomization, readManifest } from "./kustomize.ts";
import { type Pod, podOf, workload } from "./pod.ts";

const BASE = join(KUBERNETES_DIR, "base");
const OVERLAY = join(KUBERNETES_DIR, "overlays/postgres-replicas");
const DIRS = [BASE, OVERLAY];
/** Examples of what the user creates (Secrets holding placeholders): validated, never listed, so never applied. */
const isExample = (f: string) => f.endsWith(".example.yaml");
/** Variables of the runtime rather than the exporter's settings, each set for a reason given where it is. */
const RUNTIME_ENV = new Set(["BUN_RUNTIME_TRANSPILER_CACHE_PATH"]);
const SETTING_NAMES: ReadonlySet<string> = new Set(SETTINGS.map((s) => s.env));

const base = await build(BASE);
const overlay = await build(OVERLAY);
const examples = await Promise.all(
  DIRS.flatMap((d) =>
    readdirSync(d)
      .filter(isExample)
      .map((f) => join(d, f)),
  ).map((p) => readManifest(p)),
);
const find = (objects: Manifest[], kind: string): Manifest[] => objects.filter((o) => o.kind === kind);
const one = (objects: Manifest[], kind: string): Manifest => {
  const hits = find(objects, kind);
  expect(hits.map((h) => h.kind)).toEqual([kind]);
  return hits[0]!;
};
const exampleSecret = (name: string) => examples.find((e) => e.kind === "Secret" && e.metadata.name === name);

describe("kustomizations", () => {
  test.each(DIRS.map((d) => [d.slice(KUBERNETES_DIR.length)]))(
    "%s lists every manifest of its folder, and only files that exist",
    async (rel) => {
      const dir = join(KUBERNETES_DIR, rel);
      const k = await readKustomization(dir);
      const listed = [...k.resources, ...(k.patches ?? []).map((p) => p.path)];
      const files = readdirSync(dir).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml" && !isExample(f));
      expect(listed.filter((r) => !r.startsWith("..")).sort()).toEqual(files.sort());
      expect(new Set(listed).size).toBe(listed.length);
    },
  );

  test("the base names the image its Deployment runs, for the images transformer", async () => {
    const k = await readKustomization(BASE);
    expect(k.images?.map((i) => i.name)).toEqual([String(podOf(one(base, "Deployment")).containers[0]!.image)]);
  });
});

describe("schemas", () => {
  test.each([...base, ...overlay, ...examples].map((m) => [`${m.kind} ${m.metadata.name}`, m] as const))("%s is valid", (_, m) => {
    expect(() => validateManifest(m)).not.toThrow();
  });

  test("no manifest has a field its kind does not know (the schemas allow them; the API server drops them)", async () => {
    expect(await typeCheckManifests([...base, ...overlay, ...examples])).toBe("");
  }, 30_000);

  test("a misspelt field is found", async () => {
    const typo = applyJsonPatch(one(base, "Deployment"), [
      { op: "add", path: "/spec/template/spec/securityContext/runAsUsr", value: 1000 },
    ]) as Manifest;
    expect(await typeCheckManifests([typo])).toMatch(/runAsUsr.* does not exist in type 'IPodSecurityContext'/);
  }, 30_000);

  test("an invalid manifest is refused, naming the field", () => {
    const bad = applyJsonPatch(one(base, "Deployment"), [{ op: "replace", path: "/spec/replicas", value: "two" }]) as Manifest;
    expect(() => validateManifest(bad)).toThrow(/spec\/replicas must be integer/);
    const monitor = applyJsonPatch(one(base, "ServiceMonitor"), [{ op: "replace", path: "/spec/endpoints/0/honorLabels", value: "yes" }]);
    expect(() => validateManifest(monitor as Manifest)).toThrow(/honorLabels must be boolean/);
  });

  test("the overlay's patch refuses a base whose order changed (its removals test what they remove)", () => {
    const env = podOf(one(base, "Deployment")).containers[0]!.env!;
    const moved = applyJsonPatch(one(base, "Deployment"), [
      { op: "replace", path: "/spec/template/spec/containers/0/env", value: [...env].reverse() },
    ]);
    expect(() => applyJsonPatch(moved, [{ op: "test", path: "/spec/template/spec/containers/0/env/3/name", value: "DB_PATH" }])).toThrow(
      /expected "DB_PATH"/,
    );
  });
});

describe("the base: one replica on SQLite", () => {
  const deployment = one(base, "Deployment");
  const pod = podOf(deployment);
  const c = pod.containers[0]!;
  const env = new Map(c.env!.map((e) => [e.name, e]));

  test("one replica, recreated rather than rolled: two pods must never hold one SQLite file", () => {
    expect(workload(deployment)).toMatchObject({ replicas: 1, strategy: { type: "Recreate" } });
  });

  test("every variable is a setting of the exporter (or a runtime variable set for a stated reason)", () => {
    for (const m of [...base, ...overlay].filter((o) => o.kind === "Deployment")) {
      for (const e of podOf(m).containers.flatMap((x) => x.env ?? []))
        expect(SETTING_NAMES.has(e.name) || RUNTIME_ENV.has(e.name), e.name).toBe(true);
    }
  });

  test("the port and probes match LISTEN_ADDRESS and /healthz", () => {
    const port = Number(env.get("LISTEN_ADDRESS")!.value!.split(":").at(-1));
    expect(port).toBe(Number(DEFAULT_LISTEN.slice(1)));
    expect(c.ports).toEqual([{ name: "http", containerPort: port, protocol: "TCP" }]);
    for (const probe of [c.startupProbe, c.livenessProbe, c.readinessProbe])
      expect(probe?.httpGet).toEqual({ path: "/healthz", port: "http" });
    const svc = one(base, "Service") as unknown as { spec: { ports: { name: string; targetPort: string }[]; selector: unknown } };
    expect(svc.spec.ports.map((p) => p.targetPort)).toEqual(["http"]);
    expect(svc.spec.selector).toEqual((deployment.spec as { selector: { matchLabels: unknown } }).selector.matchLabels);
  });

  test("DB_PATH is on the volume claim, the key file on the Secret's volume", () => {
    expect(mountOf(pod, dirname(env.get("DB_PATH")!.value!))).toEqual({
      persistentVolumeClaim: { claimName: one(base, "PersistentVolumeClaim").metadata.name },
    });
    const keyFile = env.get("NVIDIA_API_KEY_FILE")!.value!;
    const secret = mountOf(pod, dirname(keyFile)).secret as { secretName: string; items: { key: string; path: string }[] };
    expect(secret.items.map((i) => i.path)).toEqual([basename(keyFile)]);
    const example = exampleSecret(secret.secretName) as { stringData: Record<string, string> } | undefined;
    expect(Object.keys(example?.stringData ?? {})).toEqual(secret.items.map((i) => i.key));
  });

  test("non-root, read-only root file system, no privilege escalation, no capabilities; /tmp writable", () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 });
    expect(c.securityContext).toMatchObject({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(mountOf(pod, "/tmp")).toHaveProperty("emptyDir");
    expect(env.get("BUN_RUNTIME_TRANSPILER_CACHE_PATH")?.value).toBe("0");
  });

  test("memory fits the measured peaks (BENCHMARKS.md (c), (k): up to ~210 MB; (h): ~50 MB more refusing oversize answers)", () => {
    const mib = (q: unknown) => Number(/^(\d+)Mi$/.exec(String(q))?.[1]);
    expect(mib(c.resources!.limits!.memory!)).toBeGreaterThanOrEqual(Math.ceil(((210 + 50) * 1e6) / 2 ** 20));
    expect(mib(c.resources!.requests!.memory!)).toBeGreaterThanOrEqual(Math.ceil((100 * 1e6) / 2 ** 20));
  });

  test("the ServiceMonitor scrapes the Service as job nvidia-cls, keeping the exporter's own labels", () => {
    const spec = one(base, "ServiceMonitor").spec as { selector: { matchLabels: unknown }; endpoints: Record<string, unknown>[] };
    const svc = one(base, "Service") as unknown as { metadata: { labels: unknown }; spec: { ports: { name: string }[] } };
    expect(spec.selector.matchLabels).toEqual(svc.metadata.labels);
    expect(spec.endpoints).toHaveLength(1);
    expect(spec.endpoints[0]).toMatchObject({ port: svc.spec.ports[0]!.name, path: "/metrics", honorLabels: true });
    expect(spec.endpoints[0]!.relabelings).toEqual([{ action: "replace", targetLabel: "job", replacement: "nvidia-cls" }]);
  });

  test("the PrometheusRule is the one generated from deploy/prometheus/", async () => {
    expect(await Bun.file(PROMETHEUS_RULE_PATH).text()).toBe(await prometheusRuleYaml());
  });
});

describe("the overlay: replicas on PostgreSQL", () => {
  const deployment = one(overlay, "Deployment");
  const pod = podOf(deployment);
  const env = pod.containers[0]!.env!;

  test("two replicas rolled one at a time, never fewer than two serving", () => {
    expect(workload(deployment)).toMatchObject({ replicas: 2, strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0 } } });
  });

  test("DATABASE_URL from its Secret and no DB_PATH (both together are a configuration error)", () => {
    expect(env.map((e) => e.name)).not.toContain("DB_PATH");
    const ref = env.find((e) => e.name === "DATABASE_URL")?.valueFrom?.secretKeyRef;
    const example = exampleSecret(ref?.name ?? "") as { stringData: Record<string, string> } | undefined;
    expect(Object.keys(example?.stringData ?? {})).toEqual([String(ref?.key)]);
  });

  test("no volume claim and no volume of one", () => {
    expect(find(overlay, "PersistentVolumeClaim")).toEqual([]);
    expect(pod.volumes?.filter((v) => "persistentVolumeClaim" in v)).toEqual([]);
    expect(pod.containers[0]!.volumeMounts?.map((m) => m.name).sort()).toEqual(pod.volumes?.map((v) => v.name).sort());
  });

  test("the disruption budget keeps one pod of the Deployment's", () => {
    const pdb = one(overlay, "PodDisruptionBudget").spec as { minAvailable: number; selector: unknown };
    expect(pdb.selector).toEqual((deployment.spec as { selector: unknown }).selector);
    expect(pdb.minAvailable).toBeLessThan(workload(deployment).replicas);
  });
});

function mountOf(pod: Pod, path: string): Record<string, unknown> {
  const mount = pod.containers[0]!.volumeMounts?.find((m) => m.mountPath === path);
  const volume = pod.volumes?.find((v) => v.name === mount?.name);
  expect(volume, `a volume mounted at ${path}`).toBeDefined();
  const { name: _, ...source } = volume!;
  return source;
}
