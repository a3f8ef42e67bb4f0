import type { Pseudonyms } from "./pseudonym.ts";

/**
 * What a capture keeps of a JSON answer: every field name and shape, numbers, booleans, dates and
 * the values of the fields below (feature and product names, kinds, counts, paging members), which
 * name no customer. Every other string is an identity or may hold one (names, ids, product keys,
 * entitlement ids, unknown fields) and becomes its pseudonym; a number under an id-like name too.
 */
export const KEPT_FIELDS: ReadonlySet<string> = new Set([
  // What is licensed: NVIDIA's names, the same for every customer.
  "featureName",
  "productName",
  "productFamily",
  "productVersion",
  "featureVersion",
  "licenseType",
  "namespace",
  // Kinds and states.
  "status",
  "type",
  "saleType",
  // A flag, sent as a boolean or as "true"/"false".
  "isMovableAcrossVG",
  "deployedOn",
  "leasingMode",
  "role",
  // Counts, kept even when CLS sends them as text (a drifted answer must stay drifted).
  "totalQuantity",
  "inUseQuantity",
  "unassignedQuantity",
  "totalAllotment",
  "inUse",
  "leaseCount",
  "overagePercent",
  "availableOverageQuantity",
  "overageStartTime",
  "overageDuration",
  // Dates.
  "startDate",
  "endDate",
  "createdDate",
  "lastModifiedDate",
  // Paging.
  "pageNumber",
  "pageSize",
  "totalPages",
  "totalElements",
]);

/** Names that hold ids: a number under one is an identity (virtualGroupId), other numbers are counts. */
export const isIdName = (name: string): boolean => name === "id" || /(Id|ID|_id)$/.test(name);

/** A date in any shape CLS may send as text: a date is never an identity. */
const DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Field names that are ids themselves (a map keyed by server id): replaced like values. */
const ID_SHAPED_NAME = /^(\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/** `value` (parsed JSON) with its identities replaced; `name` is the field it sits under. */
export function scrubJson(value: unknown, p: Pseudonyms, name = ""): unknown {
  if (typeof value === "string") return KEPT_FIELDS.has(name) || DATE.test(value) ? value : p.string(value);
  if (typeof value === "number") return isIdName(name) ? p.number(value) : value;
  if (Array.isArray(value)) return value.map((v) => scrubJson(v, p, name));
  if (value !== null && typeof value === "object") {
    // fromEntries defines own properties: a "__proto__" field CLS sends stays a field.
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [ID_SHAPED_NAME.test(k) ? p.string(k) : k, scrubJson(v, p, k)]));
  }
  return value;
}
