/**
 * How CLS is reached: the CAs its certificate is checked against (NVIDIA_API_CA_FILE), the proxy
 * from the standard variables, and the refusal of NODE_TLS_REJECT_UNAUTHORIZED, which would send the
 * API key to any server that answers.
 */
import { readPem } from "./files.ts";
import type { Env, Named } from "./primitives.ts";
import { type ProxyChoice, proxyFor } from "./proxy.ts";

export interface ClsTransport {
  /** PEM of the CAs trusted for CLS calls (instead of the system's roots); undefined: the system's. */
  ca: string | undefined;
  /** The proxy of CLS calls, or why there is none. */
  proxy: ProxyChoice;
}

/** Only "1" (or unset) keeps certificate checks on; Bun turns them off for "0", other runtimes for more. */
export function checkTlsVerification(env: Env, problems: string[]): void {
  const value = env.NODE_TLS_REJECT_UNAUTHORIZED;
  if (value === undefined || value.trim() === "" || value.trim() === "1") return;
  problems.push(
    "NODE_TLS_REJECT_UNAUTHORIZED: must be unset (or 1): it turns certificate checks off, and the API key would go to any server " +
      "that answers; for a private CA set NVIDIA_API_CA_FILE, for a proxy HTTPS_PROXY",
  );
}

export function clsTransport(
  baseUrl: string,
  caFile: string | undefined,
  env: Env,
  readFile: (path: string) => string,
  named: Named,
  problems: string[],
): ClsTransport {
  let ca: string | undefined;
  if (caFile) {
    const got = readPem(readFile, caFile);
    if ("pem" in got) ca = got.pem;
    else
      problems.push(
        `${named("NVIDIA_API_CA_FILE")}: ${"unreadable" in got ? `cannot read ${caFile} (${got.unreadable})` : `${caFile} is not PEM`}`,
      );
  }
  return { ca, proxy: baseUrl ? proxyFor(new URL(baseUrl), env, problems) : { kind: "none" } };
}
