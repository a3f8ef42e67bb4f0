/** What names a virtual group, and a license server within one: the prefixes the families share. */
const GROUP = ["virtual_group_id", "virtual_group_name"] as const;
const SERVER = [...GROUP, "server_id", "server_name"] as const;
const KEY = [...GROUP, "ems_entitlement_id", "ems_product_key_id"] as const;

/**
 * The label names of each series family of the snapshot, in the order they are exported. The
 * snapshot's schema, the builder, the metric catalogue and the history store all take them from
 * here; `org_name` is not among them, the renderers add it to every sample.
 */
export const FAMILY_LABELS = {
  entitlement: [...GROUP, "feature_name", "feature_version", "product_name", "license_type", "ems_entitlement_id", "ems_product_key_id"],
  server: [...SERVER, "status", "deployed_on", "leasing_mode"],
  serverFeature: [...SERVER, "feature_name", "product_name", "license_type"],
  pool: [...SERVER, "pool_id", "pool_name", "feature_name"],
  unattributed: [...GROUP, "feature_name"],
  productKey: [...KEY, "sale_type", "movable_across_vg"],
  /** Only for a key that renews another: `renewed_ems_product_key_id` is the key it replaces. */
  productKeyRenewal: [...KEY, "renewed_ems_product_key_id"],
} as const;

/**
 * The entitlement info series: the entitlement's labels and its descriptive fields, which would be
 * free text on every entitlement series otherwise. Not a family of its own: the entitlement rows carry them.
 */
export const ENTITLEMENT_INFO_LABELS = [...FAMILY_LABELS.entitlement, "product_family", "product_version"] as const;

export type Family = keyof typeof FAMILY_LABELS;

/** A label object with exactly the names `N`; values are never empty ("unknown" when CLS did not say). */
export type LabelSet<N extends readonly string[]> = { readonly [K in N[number]]: string };
export type FamilyLabels<F extends Family> = LabelSet<(typeof FAMILY_LABELS)[F]>;
export type GroupLabels = LabelSet<typeof GROUP>;
export type ServerLabels = LabelSet<typeof SERVER>;

/**
 * The demand families (`src/snapshot/demand.ts`), computed from the snapshot rather than stored in
 * it: `scope` is one of DEMAND_SCOPES, and org rows leave out DEMAND_GROUP_LABELS.
 */
export const DEMAND_SCOPES = ["virtual_group", "org"] as const;
export const DEMAND_LABELS = ["scope", ...GROUP, "feature_name"] as const;
export const DEMAND_GROUP_LABELS = GROUP;
