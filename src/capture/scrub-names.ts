import { ENDPOINT_NAMES, kindsOf } from "../cls/endpoints.ts";
import { fieldNameShaped, PAGING_MEMBERS } from "../cls/fields.ts";

/**
 * What a capture keeps of the NAMES in a JSON answer (its object keys) and of the numbers under
 * them. A key is a field name, or data: CLS could send a map keyed by lease, client, host or user.
 * Field names are what we need to see (an API change shows up as names), so a key is kept when
 * the exporter knows it, or when it is shaped like a field name (fieldNameShaped, the rule the log and
 * --check show names by; a one-word host name has that shape too) and is not an
 * identity met in the capture's values. Any other key (a number, a UUID, a host name with dots or
 * dashes, text with spaces or @…) is replaced by its pseudonym. --check shows the same names.
 */

/**
 * Every field name the exporter knows: NVIDIA's documented names of every kind of every endpoint
 * (each answer's kind names its list and compressed copy; each kind the fields holding its nested
 * kinds), and the paging members.
 */
function knownNames(): ReadonlySet<string> {
  const out = new Set<string>(["paginationInfo", ...PAGING_MEMBERS]);
  for (const endpoint of ENDPOINT_NAMES) for (const kind of kindsOf(endpoint)) for (const name of kind.documented) out.add(name);
  return out;
}

export const KNOWN_NAMES: ReadonlySet<string> = knownNames();

/** Whether `key` stays as it was sent; `isIdentity`: the key equals a value the capture replaced. */
export function keptKey(key: string, isIdentity: (s: string) => boolean): boolean {
  if (KNOWN_NAMES.has(key)) return true;
  return fieldNameShaped(key) && !isIdentity(key);
}

/** Names that hold ids: a number under one is an identity (virtualGroupId). */
export const isIdName = (name: string): boolean => name === "id" || /(Id|ID|_id|Ids|IDs|_ids)$/.test(name);

/** Names of counts and measures: an integer under one is kept (a new count stays readable). */
const COUNT_NAME = /(quantity|count|total|allotment|percent|percentage|duration|size|inuse|pages|elements|seconds|minutes|hours|days|ms)$/i;

/**
 * Whether an integer under `name` stays: under a count or measure's name. An integer under any
 * other name (an id, an account or serial number, a group sent as a bare number) is replaced.
 * Fractions stay: no identity is one.
 */
export const keptNumber = (name: string, value: number, keptFields: ReadonlySet<string>): boolean =>
  !Number.isInteger(value) || (!isIdName(name) && (keptFields.has(name) || COUNT_NAME.test(name)));
