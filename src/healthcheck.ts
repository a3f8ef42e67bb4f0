import { listenFromEnv, localBaseUrl } from "./config.ts";

/**
 * The container HEALTHCHECK (slim images have no curl): GET /healthz on the address the exporter
 * listens on, derived from LISTEN_ADDRESS / PORT exactly as the exporter derives it. Exit 0 = healthy.
 */
const listen = listenFromEnv(process.env);
if (!listen) {
  process.stderr.write("healthcheck: LISTEN_ADDRESS is invalid\n");
  process.exit(1);
}
const url = `${localBaseUrl(listen.hostname, listen.port)}/healthz`;
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(4_000) });
  process.exit(res.ok ? 0 : 1);
} catch (err) {
  process.stderr.write(`healthcheck: ${url}: ${(err as Error).message}\n`);
  process.exit(1);
}
