/** Settings that work but deserve a warning at start-up; never quoting a secret. */

import type { Flags } from "./flags.ts";
import { authSchemes, isLoopbackHost, type ListenAddress, type Protection } from "./listen.ts";
import type { OtlpConfig } from "./otlp.ts";

export interface Served extends Protection {
  listen: ListenAddress;
}

const isLoopback = (url: URL) => isLoopbackHost(url.hostname);

export function warningsFor(baseUrl: string, flags: Flags, otlp: OtlpConfig | undefined, served: Served): string[] {
  const warnings: string[] = [];
  if (flags.NVIDIA_API_KEY !== undefined)
    warnings.push(
      "the API key was given as a flag, which any user can read in the process list; prefer NVIDIA_API_KEY or NVIDIA_API_KEY_FILE",
    );
  if (flags.AUTH_BEARER_TOKEN !== undefined)
    warnings.push(
      "the bearer token was given as a flag, which any user can read in the process list; prefer AUTH_BEARER_TOKEN or AUTH_BEARER_TOKEN_FILE",
    );
  if (served.bearerToken !== undefined && served.bearerToken.length < 16)
    warnings.push(
      `the bearer token is ${served.bearerToken.length} characters long; use at least 16 random ones (e.g. openssl rand -hex 24)`,
    );
  const credentials = authSchemes(served).length > 0;
  const host = served.listen.hostname;
  if (credentials && !served.web?.tls && !(host && isLoopbackHost(host))) {
    warnings.push(
      "basic auth or a bearer token is configured without tls_server_config: credentials travel unencrypted; add TLS in WEB_CONFIG_FILE or terminate TLS in front of the exporter",
    );
  }
  const url = new URL(baseUrl);
  if (url.protocol === "http:" && !isLoopback(url))
    warnings.push(`NVIDIA_API_BASE_URL is plain http to ${url.host}: the API key travels unencrypted`);
  const collector = otlp && new URL(otlp.url);
  if (otlp && collector && otlp.insecure && otlp.headers.length > 0 && !isLoopback(collector)) {
    warnings.push(
      `OTLP push to ${collector.host} is plaintext: the OTEL_EXPORTER_OTLP_HEADERS values travel unencrypted; set OTEL_INSECURE=false to use TLS`,
    );
  }
  return warnings;
}
