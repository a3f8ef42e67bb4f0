import { z } from "zod";
import { objectKind } from "../fields.ts";
import { type Infer, itemSchema } from "../schemas.ts";
import type { GroupArgs, RawServer } from "./license_servers.ts";
import { groupPath } from "./license_servers.ts";
import { type Part, partKey, row } from "./row.ts";

const leaseClient = itemSchema(
  objectKind("client", ["leases", "additionalProperties"], {
    additionalProperties: objectKind("additionalProperties", ["license_server_id", "license_server_name"]),
  }),
  (f) =>
    z.object({
      leases: f.list,
      additionalProperties: z.object({ license_server_id: f.ref, license_server_name: f.text }).optional().catch(f.absent),
    }),
);
const lease = itemSchema(objectKind("lease", ["leaseId", "featureName", "leaseCount", "licenseAllotmentFeatureId"]), (f) =>
  z.object({ leaseId: f.id, featureName: f.text, leaseCount: f.quantity, licenseAllotmentFeatureId: f.ref }),
);

export interface RawLease extends Infer<typeof lease> {
  serverId: string | undefined;
  serverName: string | undefined;
}

/** The length of an element's nested list, read before parsing (0 when it is not one). */
const nestedLength = (raw: unknown, key: string): number => {
  const list = (raw as Record<string, unknown> | null)?.[key];
  return Array.isArray(list) ? list.length : 0;
};

/** The service instances a group's servers answer for; "" stands for servers that name none. */
const instancesOf = (servers: readonly RawServer[]): string[] => [...new Set(servers.map((s) => s.serviceInstanceId ?? ""))];

/** A group's leases as one service instance reports them: one call per distinct instance, keyed `partKey(vgId, instance)`. */
export const leases = row({
  path: (a: GroupArgs & { instanceId: string | undefined }) => `${groupPath(a)}/leases/all`,
  paged: false,
  envelope: { list: "clients", compressed: "compressedClients", answer: objectKind("answer", ["clients", "compressedClients"]) },
  instanceId: (a) => a.instanceId,
  schema: leaseClient,
  objects: [leaseClient.kind, lease.kind],
  // The leases are the big list (a client holds any number), so they count too, not just the clients.
  limits: { countItems: (client) => 1 + nestedLength(client, "leases") },
  flatten: (client, parse): RawLease[] =>
    parse(lease, client.leases).map((l) => ({
      ...l,
      serverId: client.additionalProperties?.license_server_id || undefined,
      serverName: client.additionalProperties?.license_server_name || undefined,
    })),
  from: {
    parent: "license_servers",
    calls: ({ args, rows }: Part<GroupArgs, RawServer>) =>
      instancesOf(rows).map((instance) => ({
        key: partKey(args.vgId, instance),
        args: { vgId: args.vgId, instanceId: instance || undefined },
      })),
  },
});
