import { z } from "zod";
import { objectKind } from "../fields.ts";
import { type Infer, itemSchema } from "../schemas.ts";
import { type Part, partKey, row } from "./row.ts";
import type { RawVirtualGroup } from "./virtual_groups.ts";

// Its fields are known from a client written against the live service more than from the reference (src/sim/README.md).
const licenseServer = itemSchema(
  objectKind("licenseServer", [
    "id",
    "name",
    "status",
    "deployedOn",
    "leasingMode",
    "serviceInstanceId",
    "virtualGroupId",
    "virtualGroupName",
    "licenseServerFeatures",
  ]),
  (f) =>
    z.object({
      id: f.id,
      name: f.text,
      status: f.text,
      deployedOn: f.text,
      leasingMode: f.text,
      serviceInstanceId: f.ref,
      licenseServerFeatures: f.list,
    }),
);
const serverFeature = itemSchema(
  objectKind("licenseServerFeature", ["id", "featureName", "productName", "licenseType", "totalQuantity"]),
  (f) => z.object({ id: f.id, featureName: f.text, productName: f.text, licenseType: f.text, totalQuantity: f.quantity }),
);

export type ServerFeature = Infer<typeof serverFeature>;
export interface RawServer extends Omit<Infer<typeof licenseServer>, "licenseServerFeatures"> {
  features: ServerFeature[];
}
/** What addresses one virtual group. */
export interface GroupArgs {
  vgId: string;
}

export const groupPath = (a: GroupArgs) => `/virtual-groups/${encodeURIComponent(a.vgId)}`;

/** The license servers of a group with their features: one call per group, keyed by its id. */
export const licenseServers = row({
  path: (a: GroupArgs) => `${groupPath(a)}/license-servers`,
  paged: true,
  envelope: { list: "licenseServers", answer: objectKind("answer", ["licenseServers", "productFamily", "paginationInfo"]) },
  schema: licenseServer,
  objects: [licenseServer.kind, serverFeature.kind],
  flatten: ({ licenseServerFeatures, ...server }, parse): RawServer[] => [
    { ...server, features: parse(serverFeature, licenseServerFeatures) },
  ],
  from: {
    parent: "virtual_groups",
    calls: ({ rows }: Part<Record<string, never>, RawVirtualGroup>) => rows.map((vg) => ({ key: partKey(vg.id), args: { vgId: vg.id } })),
  },
});
