import { readFileSync } from "node:fs";
import { listenFromEnv, loadWebConfig, localBaseUrl, localHost } from "./config/index.ts";

/**
 * The container HEALTHCHECK (slim images have no curl): GET /healthz on the address the exporter
 * listens on, derived from LISTEN_ADDRESS / PORT exactly as the exporter derives it, over HTTPS when
 * WEB_CONFIG_FILE configures TLS (on loopback, so the certificate is not checked; /healthz needs no
 * credentials). With mutual TLS (RequireAndVerifyClientCert) it has no client certificate to offer:
 * it then checks that the port accepts TCP connections. Exit 0 = healthy.
 */
const listen = listenFromEnv(process.env);
if (!listen) {
  process.stderr.write("healthcheck: LISTEN_ADDRESS is invalid\n");
  process.exit(1);
}
const webFile = process.env.WEB_CONFIG_FILE?.trim();
const problems: string[] = [];
const web = webFile ? loadWebConfig(webFile, (p) => readFileSync(p, "utf8"), problems) : undefined;
if (problems.length > 0) {
  process.stderr.write(`healthcheck: ${problems.join("; ")}\n`);
  process.exit(1);
}
const tls = web?.tls !== undefined;
if (web?.tls?.requireClientCert) {
  const host = localHost(listen.hostname);
  try {
    const socket = await Bun.connect({ hostname: host, port: listen.port, socket: { data() {} } });
    socket.end();
    process.exit(0);
  } catch (err) {
    process.stderr.write(`healthcheck: ${host}:${listen.port}: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
const url = `${localBaseUrl(listen.hostname, listen.port, tls ? "https" : "http")}/healthz`;
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(4_000), ...(tls ? { tls: { rejectUnauthorized: false } } : {}) });
  process.exit(res.ok ? 0 : 1);
} catch (err) {
  process.stderr.write(`healthcheck: ${url}: ${(err as Error).message}\n`);
  process.exit(1);
}
