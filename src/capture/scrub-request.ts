import type { Pseudonyms } from "./pseudonym.ts";

/** Path segments of the CLS API itself; every other segment is an identity (org name, group, server id). */
const API_SEGMENTS: ReadonlySet<string> = new Set(["v1", "org", "virtual-groups", "license-servers", "license-pools", "leases", "all"]);

/** Query parameters whose values are paging and switches, never identities. */
const KEPT_PARAMS: ReadonlySet<string> = new Set(["page-number", "page-size", "only-default", "detailedView", "namespace"]);

/** Request headers worth keeping (never x-api-key or any credential: an allow-list, not a deny-list). */
export const KEPT_REQUEST_HEADERS = ["accept", "accept-encoding", "user-agent", "x-nv-service-instance-id"] as const;
/** Response headers the client acts on. */
export const KEPT_RESPONSE_HEADERS = ["content-type", "content-encoding", "retry-after"] as const;

/**
 * The shape each kept header's value must have to stay as sent; any other value (a proxy could put
 * anything there) is replaced by its pseudonym, as x-nv-service-instance-id always is.
 */
const KEPT_SHAPE: Readonly<Record<string, RegExp>> = {
  accept: /^[\w.+*/-]+$/,
  "accept-encoding": /^[\w, -]+$/,
  "user-agent": /^[\w.+/ -]+$/,
  "content-type": /^[\w.+-]+\/[\w.+-]+(\s*;\s*charset="?[\w-]+"?)?$/i,
  "content-encoding": /^[\w-]+$/,
  "retry-after": /^(\d+|\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT)$/,
};

/** The path below the base URL's own path, each identity segment replaced (decoded first, encoded again). */
export function scrubPath(pathname: string, basePath: string, p: Pseudonyms): string {
  const base = basePath.replace(/\/+$/, "");
  const below = base && pathname.startsWith(`${base}/`) ? pathname.slice(base.length) : pathname;
  return below
    .split("/")
    .map((seg) => {
      if (seg === "" || API_SEGMENTS.has(seg)) return seg;
      let decoded = seg;
      try {
        decoded = decodeURIComponent(seg);
      } catch {
        // A segment that is not valid percent-encoding is replaced as it stands.
      }
      return encodeURIComponent(p.string(decoded));
    })
    .join("/");
}

export function scrubQuery(params: URLSearchParams, p: Pseudonyms): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of params) out[k] = KEPT_PARAMS.has(k) ? v : p.string(v);
  return out;
}

export function keptHeaders(headers: Headers, names: readonly string[], p: Pseudonyms): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const v = headers.get(name);
    if (v !== null) out[name] = KEPT_SHAPE[name]?.test(v) ? v : p.string(v);
  }
  return out;
}
