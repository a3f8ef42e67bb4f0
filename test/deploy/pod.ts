/** Typed reads of a Deployment's pod template for the manifest tests (the manifests are parsed YAML). */
import type { IContainer, IPodSpec } from "kubernetes-models/v1";
import type { Manifest } from "./kustomize.ts";

export type Pod = IPodSpec & { containers: IContainer[] };

export const podOf = (m: Manifest): Pod => (m.spec as { template: { spec: Pod } }).template.spec;

export const workload = (m: Manifest) => m.spec as { replicas: number; strategy: Record<string, unknown> };
