import type { Pseudonyms } from "./pseudonym.ts";

/** Path segments of the CLS API itself; every other segment is an identity (org name, group, server id). */
const API_SEGMENTS: ReadonlySet<string> = new Set(["v1", "org", "virtual-groups", "license-servers", "license-pools", "leases", "all"]);

/** Query parameters whose values are paging and switches, never identities. */
const KEPT_PARAMS: ReadonlySet<string> = new Set(["page-number", "page-size", "only-default", "detailedView", "namespace"]);

/** Request headers worth keeping (never x-api-key or any credential: an allow-list, not a deny-list). */
export const KEPT_REQUEST_HEADERS = ["accept", "accept-encoding", "user-agent", "x-nv-service-instance-id"] as const;
/** Response headers the client acts on. */
export const KEPT_RESPONSE_HEADERS = ["content-type", "content-encoding", "retry-after"] as const;

/** Headers whose values are identities. */
const ID_HEADERS: ReadonlySet<string> = new Set(["x-nv-service-instance-id"]);

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
    if (v !== null) out[name] = ID_HEADERS.has(name) ? p.string(v) : v;
  }
  return out;
}
