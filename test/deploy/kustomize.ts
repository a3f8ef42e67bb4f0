/**
 * The little of kustomize that deploy/kubernetes uses, for tests on a machine without kustomize:
 * reading a kustomization, building its resources (recursively for a base), and applying its
 * patches — JSON 6902 patches (add, remove, replace, test) and strategic-merge `$patch: delete`.
 * Anything else in a kustomization fails the parse, so a new feature there needs support here first.
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

export const KUBERNETES_DIR = new URL("../../deploy/kubernetes/", import.meta.url).pathname;

export const Kustomization = z
  .object({
    apiVersion: z.literal("kustomize.config.k8s.io/v1beta1"),
    kind: z.literal("Kustomization"),
    resources: z.array(z.string()).min(1),
    patches: z
      .array(
        z
          .object({
            path: z.string(),
            target: z.object({ group: z.string(), version: z.string(), kind: z.string(), name: z.string() }).strict().optional(),
          })
          .strict(),
      )
      .optional(),
    images: z.array(z.object({ name: z.string(), newName: z.string(), newTag: z.string() }).strict()).optional(),
  })
  .strict();
export type Kustomization = z.infer<typeof Kustomization>;

export type Manifest = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string } };
const ManifestSchema = z.looseObject({ apiVersion: z.string(), kind: z.string(), metadata: z.looseObject({ name: z.string() }) });
const JsonPatch = z.array(
  z.discriminatedUnion("op", [
    z.object({ op: z.literal("add"), path: z.string(), value: z.unknown() }).strict(),
    z.object({ op: z.literal("replace"), path: z.string(), value: z.unknown() }).strict(),
    z.object({ op: z.literal("test"), path: z.string(), value: z.unknown() }).strict(),
    z.object({ op: z.literal("remove"), path: z.string() }).strict(),
  ]),
);
export type JsonPatch = z.infer<typeof JsonPatch>;
const DeletePatch = z.object({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.object({ name: z.string() }),
  $patch: z.literal("delete"),
});

export const readYaml = async (path: string): Promise<unknown> => Bun.YAML.parse(await Bun.file(path).text());
export const readManifest = async (path: string): Promise<Manifest> => ManifestSchema.parse(await readYaml(path)) as Manifest;
export const readKustomization = async (dir: string): Promise<Kustomization> =>
  Kustomization.parse(await readYaml(join(dir, "kustomization.yaml")));

/** The objects `kustomize build dir` would emit, before its image and name transformers. */
export async function build(dir: string): Promise<Manifest[]> {
  const k = await readKustomization(dir);
  const out: Manifest[] = [];
  for (const r of k.resources) {
    const path = join(dir, r);
    if (!existsSync(path)) throw new Error(`${dir}: resource ${r} does not exist`);
    out.push(...(statSync(path).isDirectory() ? await build(path) : [await readManifest(path)]));
  }
  let built = out;
  for (const p of k.patches ?? []) built = await applyPatchFile(built, join(dir, p.path), p.target);
  return built;
}

type Target = NonNullable<Kustomization["patches"]>[number]["target"];

async function applyPatchFile(objects: Manifest[], path: string, target: Target): Promise<Manifest[]> {
  const doc = await readYaml(path);
  if (Array.isArray(doc)) {
    if (!target) throw new Error(`${path}: a JSON 6902 patch needs a target`);
    const hits = objects.filter((o) => o.kind === target.kind && o.metadata.name === target.name && o.apiVersion === apiVersionOf(target));
    if (hits.length !== 1) throw new Error(`${path}: its target matches ${hits.length} objects`);
    return objects.map((o) => (o === hits[0] ? (applyJsonPatch(o, JsonPatch.parse(doc)) as Manifest) : o));
  }
  const del = DeletePatch.parse(doc);
  const kept = objects.filter((o) => !(o.kind === del.kind && o.metadata.name === del.metadata.name));
  if (kept.length !== objects.length - 1) throw new Error(`${path}: deletes ${objects.length - kept.length} objects, not 1`);
  return kept;
}

const apiVersionOf = (t: { group: string; version: string }) => (t.group ? `${t.group}/${t.version}` : t.version);

const tokens = (pointer: string): string[] => {
  if (!pointer.startsWith("/")) throw new Error(`JSON pointer ${pointer} must start with /`);
  return pointer
    .slice(1)
    .split("/")
    .map((t) => t.replaceAll("~1", "/").replaceAll("~0", "~"));
};

type Container = Record<string, unknown> | unknown[];

/** The parent of the pointer's last token, which must exist (RFC 6902 never creates parents). */
function parentOf(doc: unknown, pointer: string): { parent: Container; key: string } {
  const path = tokens(pointer);
  let node: unknown = doc;
  for (const t of path.slice(0, -1)) {
    if (node === null || typeof node !== "object") throw new Error(`${pointer}: no such path`);
    node = (node as Record<string, unknown>)[t];
  }
  if (node === null || typeof node !== "object") throw new Error(`${pointer}: no such path`);
  return { parent: node as Container, key: path.at(-1)! };
}

function index(list: unknown[], key: string, pointer: string, forAdd = false): number {
  if (forAdd && key === "-") return list.length;
  const i = /^(0|[1-9]\d*)$/.test(key) ? Number(key) : Number.NaN;
  if (!(i >= 0 && i < list.length + (forAdd ? 1 : 0))) throw new Error(`${pointer}: index ${key} out of range`);
  return i;
}

/** RFC 6902 on a copy of `doc`; throws on a failed `test` or a missing path, as kustomize does. */
export function applyJsonPatch(doc: unknown, patch: JsonPatch): unknown {
  const out = structuredClone(doc);
  for (const op of patch) {
    const { parent, key } = parentOf(out, op.path);
    const list = Array.isArray(parent) ? parent : undefined;
    const obj = parent as Record<string, unknown>;
    if (op.op !== "add" && !list && !(key in obj)) throw new Error(`${op.path}: no such path`);
    if (op.op === "test") {
      const got = list ? list[index(list, key, op.path)] : obj[key];
      if (!Bun.deepEquals(got, op.value))
        throw new Error(`test ${op.path}: expected ${JSON.stringify(op.value)}, found ${JSON.stringify(got)}`);
    } else if (op.op === "remove") {
      if (list) list.splice(index(list, key, op.path), 1);
      else delete obj[key];
    } else if (op.op === "replace") {
      if (list) list[index(list, key, op.path)] = structuredClone(op.value);
      else obj[key] = structuredClone(op.value);
    } else if (list) list.splice(index(list, key, op.path, true), 0, structuredClone(op.value));
    else obj[key] = structuredClone(op.value);
  }
  return out;
}
