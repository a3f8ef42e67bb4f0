import type { Pseudonyms } from "./pseudonym.ts";
import { keptKey, keptNumber } from "./scrub-names.ts";

export { isIdName } from "./scrub-names.ts";

/**
 * What a capture keeps of a JSON answer: field names (src/capture/scrub-names.ts) and shape,
 * booleans, fractions, dates, integers under counts' names and the values of the fields below
 * (feature and product names, kinds, counts, paging members), which name no customer. Every other
 * string is an identity or may hold one (names, ids, product keys, entitlement ids, unknown fields,
 * free text) and becomes its pseudonym; every other integer too.
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

/** NVIDIA's names of what is licensed: kept whole, they label the series. */
const PRODUCT_NAMES: ReadonlySet<string> = new Set(["featureName", "productName", "productFamily", "productVersion", "featureVersion"]);

/**
 * A kept field's value other than a product name stays only as one short token (an enum, a count or
 * date sent as text, "n/a"): CLS could put free text there (an error, a note naming a host), which is
 * replaced like any other string.
 */
const TOKEN = /^[\w.:+\-/]{0,64}$/;

/** A date in any shape CLS may send as text: a date is never an identity. */
const DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Keys that are ids themselves (a map keyed by server id): always replaced like values. */
const ID_SHAPED_NAME = /^(\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

const keptString = (name: string, value: string): boolean =>
  DATE.test(value) || PRODUCT_NAMES.has(name) || (KEPT_FIELDS.has(name) && TOKEN.test(value));

/**
 * `value` (parsed JSON) with its identities replaced; `name` is the field it sits under. Values are
 * replaced first, keys after (src/capture/scrub-names.ts), so a key equal to an identity met anywhere
 * in the answer is replaced too.
 */
export function scrubJson(value: unknown, p: Pseudonyms, name = ""): unknown {
  return scrubKeys(scrubValues(value, p, name), p);
}

function scrubValues(value: unknown, p: Pseudonyms, name: string): unknown {
  if (typeof value === "string") return keptString(name, value) ? value : p.string(value);
  if (typeof value === "number") return keptNumber(name, value, KEPT_FIELDS) ? value : p.number(value);
  if (Array.isArray(value)) return value.map((v) => scrubValues(v, p, name));
  if (value !== null && typeof value === "object") {
    // fromEntries defines own properties: a "__proto__" field CLS sends stays a field.
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubValues(v, p, k)]));
  }
  return value;
}

function scrubKeys(value: unknown, p: Pseudonyms): unknown {
  if (Array.isArray(value)) return value.map((v) => scrubKeys(v, p));
  if (value === null || typeof value !== "object") return value;
  const isIdentity = (k: string) => p.has(k);
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [!ID_SHAPED_NAME.test(k) && keptKey(k, isIdentity) ? k : p.string(k), scrubKeys(v, p)]),
  );
}
