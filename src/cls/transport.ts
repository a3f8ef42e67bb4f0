import type { ClsTransport } from "../config/index.ts";
import type { HttpDeps } from "./http.ts";

/**
 * The fetch of CLS calls: the CAs of NVIDIA_API_CA_FILE (when set) and the proxy decided by the
 * configuration, passed on every call. Bun would otherwise read HTTP(S)_PROXY and NO_PROXY itself,
 * with rules of its own; `proxy: false` and `respectNoProxy: false` leave the decision to ours.
 */
export function clsFetch(transport: ClsTransport, fetchImpl: typeof fetch): HttpDeps["fetch"] {
  const tls = transport.ca === undefined ? {} : { tls: { ca: transport.ca } };
  const p = transport.proxy;
  const proxy = p.kind === "proxy" ? { url: p.url, respectNoProxy: false } : false;
  return (input, init) => fetchImpl(input, { ...init, ...tls, proxy });
}
