/**
 * Schema validation of Kubernetes manifests with the models that ship the schemas: kubernetes-models
 * (the Kubernetes API's OpenAPI schemas) and @kubernetes-models/prometheus-operator (its CRDs).
 * Their schemas allow unknown fields, as the API's do: typeCheckManifests finds those (a misspelt
 * field is silently dropped by the API server) with the TypeScript types the packages ship.
 */
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PrometheusRule, ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { PersistentVolumeClaim, Secret, Service } from "kubernetes-models/v1";
import type { Manifest } from "./kustomize.ts";

type Model = new (data: never) => { validate(): void };

const K8S = "kubernetes-models";
const OPERATOR = "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
/**
 * Every kind deploy/kubernetes uses, by apiVersion and kind (another one fails the test until it is
 * added): its model class, and the module and interface of its type for typeCheckManifests.
 */
const MODELS: Record<string, { model: Model; module: string; type: string }> = {
  "apps/v1 Deployment": { model: Deployment, module: `${K8S}/apps/v1`, type: "IDeployment" },
  "v1 Service": { model: Service, module: `${K8S}/v1`, type: "IService" },
  "v1 PersistentVolumeClaim": { model: PersistentVolumeClaim, module: `${K8S}/v1`, type: "IPersistentVolumeClaim" },
  "v1 Secret": { model: Secret, module: `${K8S}/v1`, type: "ISecret" },
  "policy/v1 PodDisruptionBudget": { model: PodDisruptionBudget, module: `${K8S}/policy/v1`, type: "IPodDisruptionBudget" },
  "monitoring.coreos.com/v1 ServiceMonitor": { model: ServiceMonitor, module: OPERATOR, type: "IServiceMonitor" },
  "monitoring.coreos.com/v1 PrometheusRule": { model: PrometheusRule, module: OPERATOR, type: "IPrometheusRule" },
};

const modelOf = (m: Manifest) => {
  const entry = MODELS[`${m.apiVersion} ${m.kind}`];
  if (!entry) throw new Error(`${m.apiVersion} ${m.kind} ${m.metadata.name}: no model for this kind`);
  return entry;
};

/** Throws, naming the object and the schema's complaint, unless the manifest is valid. */
export function validateManifest(m: Manifest): void {
  const { model } = modelOf(m);
  try {
    new model(m as never).validate();
  } catch (err) {
    throw new Error(`${m.kind} ${m.metadata.name}: ${(err as Error).message}`);
  }
}

const ROOT = new URL("../../", import.meta.url).pathname;

/**
 * Type-checks each manifest as an object literal of its kind's interface, where TypeScript refuses
 * properties the type does not have. Resolves with tsc's findings, "" when there are none.
 */
export async function typeCheckManifests(manifests: readonly Manifest[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "k8s-types-"));
  try {
    symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
    const lines = manifests.map((m, i) => {
      const { module, type } = modelOf(m);
      return `import type { ${type} as T${i} } from "${module}";\nexport const m${i}: T${i} = ${JSON.stringify(m)};`;
    });
    writeFileSync(join(dir, "manifests.ts"), `${lines.join("\n")}\n`);
    const options = {
      strict: true,
      noEmit: true,
      module: "esnext",
      moduleResolution: "bundler",
      target: "esnext",
      types: [],
      skipLibCheck: true,
    };
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: options, files: ["manifests.ts"] }));
    const tsc = Bun.spawn([process.execPath, "x", "tsc", "-p", dir], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    const [out, err] = await Promise.all([new Response(tsc.stdout).text(), new Response(tsc.stderr).text(), tsc.exited]);
    return (out + err).trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
