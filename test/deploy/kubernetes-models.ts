/**
 * Schema validation of Kubernetes manifests with the models that ship the schemas: kubernetes-models
 * (the Kubernetes API's OpenAPI schemas) and @kubernetes-models/prometheus-operator (its CRDs).
 * Their schemas allow unknown fields, as the API's do; the tests check the fields that matter by name.
 */
import { PrometheusRule, ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { PersistentVolumeClaim, Secret, Service } from "kubernetes-models/v1";
import type { Manifest } from "./kustomize.ts";

type Model = new (data: never) => { validate(): void };

/** Every kind deploy/kubernetes uses, by apiVersion and kind; another one fails the test until it is added. */
const MODELS: Record<string, Model> = {
  "apps/v1 Deployment": Deployment,
  "v1 Service": Service,
  "v1 PersistentVolumeClaim": PersistentVolumeClaim,
  "v1 Secret": Secret,
  "policy/v1 PodDisruptionBudget": PodDisruptionBudget,
  "monitoring.coreos.com/v1 ServiceMonitor": ServiceMonitor,
  "monitoring.coreos.com/v1 PrometheusRule": PrometheusRule,
};

/** Throws, naming the object and the schema's complaint, unless the manifest is valid. */
export function validateManifest(m: Manifest): void {
  const model = MODELS[`${m.apiVersion} ${m.kind}`];
  if (!model) throw new Error(`${m.apiVersion} ${m.kind} ${m.metadata.name}: no model for this kind`);
  try {
    new model(m as never).validate();
  } catch (err) {
    throw new Error(`${m.kind} ${m.metadata.name}: ${(err as Error).message}`);
  }
}
