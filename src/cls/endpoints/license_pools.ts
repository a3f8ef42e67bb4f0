import { z } from "zod";
import { objectKind } from "../fields.ts";
import { type Infer, itemSchema } from "../schemas.ts";
import type { GroupArgs, RawServer } from "./license_servers.ts";
import { groupPath } from "./license_servers.ts";
import { type Part, partKey, row } from "./row.ts";

const licensePool = itemSchema(objectKind("licensePool", ["id", "name", "licensePoolFeatures"]), (f) =>
  z.object({ id: f.id, name: f.text, licensePoolFeatures: f.list }),
);
const poolFeature = itemSchema(objectKind("licensePoolFeature", ["licenseServerFeatureId", "totalAllotment", "inUse"]), (f) =>
  z.object({ licenseServerFeatureId: f.id, totalAllotment: f.quantity, inUse: f.quantity }),
);

export type PoolFeature = Infer<typeof poolFeature>;
export interface RawPool extends Omit<Infer<typeof licensePool>, "licensePoolFeatures"> {
  features: PoolFeature[];
}

/** The pools of a license server: one call per server of a group, keyed `partKey(vgId, serverId)`. */
export const licensePools = row({
  path: (a: GroupArgs & { serverId: string }) => `${groupPath(a)}/license-servers/${encodeURIComponent(a.serverId)}/license-pools`,
  paged: false,
  envelope: { list: "licensePools", answer: objectKind("answer", ["licensePools"]) },
  schema: licensePool,
  objects: [licensePool.kind, poolFeature.kind],
  flatten: ({ licensePoolFeatures, ...pool }, parse): RawPool[] => [{ ...pool, features: parse(poolFeature, licensePoolFeatures) }],
  from: {
    parent: "license_servers",
    calls: ({ args, rows }: Part<GroupArgs, RawServer>) =>
      rows.map((s) => ({ key: partKey(args.vgId, s.id), args: { vgId: args.vgId, serverId: s.id } })),
  },
});
