import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadWebConfig } from "../../src/config/index.ts";

const TLS = join(import.meta.dir, "..", "fixtures", "tls");
const HASH = "$2y$04$NTcvbCMxr83N1F.gF1DK9ujSFExZWdaQ3CwY3uej/cF3mRcuGWFBS";

/** The web config at /cfg/web.yml with `yaml`; the TLS fixtures readable as /cfg/<name> (relative paths). */
function parse(yaml: string) {
  const problems: string[] = [];
  const readFile = (p: string): string => {
    if (p === "/cfg/web.yml") return yaml;
    if (p.startsWith("/cfg/")) return readFileSync(join(TLS, p.slice(5)), "utf8");
    throw Object.assign(new Error("nope"), { code: "ENOENT" });
  };
  return { config: loadWebConfig("/cfg/web.yml", readFile, problems), problems };
}

describe("web config file (exporter-toolkit format)", () => {
  test("an empty file protects nothing", () => {
    expect(parse("").config).toEqual({ users: new Map(), headers: {} });
  });

  test("TLS with files relative to the config, client certificates, TLS 1.3 only, headers, users", () => {
    const { config, problems } = parse(
      [
        "tls_server_config:",
        "  cert_file: server.pem",
        "  key_file: server-key.pem",
        "  client_auth_type: RequireAndVerifyClientCert",
        "  client_ca_file: ca.pem",
        "  min_version: TLS13",
        "http_server_config:",
        "  http2: true",
        "  headers:",
        "    Strict-Transport-Security: max-age=31536000",
        "basic_auth_users:",
        `  prometheus: ${HASH}`,
        `  grafana: '${HASH.replace("$2y$", "$2b$")}'`,
      ].join("\n"),
    );
    expect(problems).toEqual([]);
    expect(config!.tls!.cert).toContain("BEGIN CERTIFICATE");
    expect(config!.tls!.key).toContain("PRIVATE KEY");
    expect(config!.tls!.ca).toContain("BEGIN CERTIFICATE");
    expect(config!.tls!.requireClientCert).toBe(true);
    expect(config!.tls!.secureOptions).toBeGreaterThan(0);
    expect(config!.headers).toEqual({ "Strict-Transport-Security": "max-age=31536000" });
    expect([...config!.users.keys()]).toEqual(["prometheus", "grafana"]);
  });

  test("inline PEM instead of files", () => {
    const cert = readFileSync(join(TLS, "server.pem"), "utf8");
    const key = readFileSync(join(TLS, "server-key.pem"), "utf8");
    const yaml = `tls_server_config:\n  cert: |\n${indent(cert)}\n  key: |\n${indent(key)}\n`;
    const { config, problems } = parse(yaml);
    expect(problems).toEqual([]);
    expect(config!.tls!.cert.trim()).toBe(cert.trim());
    expect(config!.tls!.requireClientCert).toBe(false);
  });

  test.each([
    ["not YAML", "tls_server_config: [", /is not valid YAML/],
    ["an unknown top-level key", "basic_auth: {}", /\(top level\): unknown key\(s\) basic_auth/],
    [
      "an unknown TLS key",
      "tls_server_config:\n  cert_file: server.pem\n  key_file: server-key.pem\n  certfile: x",
      /tls_server_config: unknown key\(s\) certfile/,
    ],
    ["a missing key file", "tls_server_config:\n  cert_file: server.pem", /key_file \(or key\) is required/],
    [
      "an unreadable certificate",
      "tls_server_config:\n  cert_file: missing.pem\n  key_file: server-key.pem",
      /cert_file: cannot read missing.pem \(ENOENT\)/,
    ],
    [
      "a certificate that is not PEM",
      "tls_server_config:\n  cert_file: web.yml\n  key_file: server-key.pem",
      /cert_file: web.yml is not PEM/,
    ],
    [
      "both cert and cert_file",
      "tls_server_config:\n  cert_file: server.pem\n  cert: x\n  key_file: server-key.pem",
      /cert_file or cert, not both/,
    ],
    [
      "client certificates without a CA",
      "tls_server_config:\n  cert_file: server.pem\n  key_file: server-key.pem\n  client_auth_type: RequireAndVerifyClientCert",
      /needs client_ca_file/,
    ],
    [
      "a CA without requiring client certificates",
      "tls_server_config:\n  cert_file: server.pem\n  key_file: server-key.pem\n  client_ca_file: ca.pem",
      /client_ca_file is set but/,
    ],
    [
      "a client auth type this exporter cannot honour",
      "tls_server_config:\n  cert_file: server.pem\n  key_file: server-key.pem\n  client_auth_type: VerifyClientCertIfGiven",
      /is not supported here/,
    ],
    [
      "TLS 1.1",
      "tls_server_config:\n  cert_file: server.pem\n  key_file: server-key.pem\n  min_version: TLS11",
      /min_version: must be TLS12 or TLS13/,
    ],
    ["a header the toolkit does not allow", "http_server_config:\n  headers:\n    Set-Cookie: a=b", /only Content-Security-Policy/],
    [
      "a header value over two lines",
      "http_server_config:\n  headers:\n    Content-Security-Policy: |\n      default-src 'none';\n      frame-ancestors 'none'",
      /a header value must be one line/,
    ],
    ["a plaintext password instead of a hash", "basic_auth_users:\n  prom: hunter2", /basic_auth_users.prom: must be a bcrypt hash/],
    ["a user name with a colon", `basic_auth_users:\n  "a:b": ${HASH}`, /a user name must not be empty or contain ':'/],
  ])("%s is an error naming the key", (_what, yaml, message) => {
    const { config, problems } = parse(yaml);
    expect(config).toBeUndefined();
    expect(problems.join("\n")).toMatch(message);
    expect(problems.every((p) => p.startsWith("WEB_CONFIG_FILE: "))).toBe(true);
    expect(problems.join("\n")).not.toContain("hunter2");
  });
});

const indent = (pem: string) =>
  pem
    .trim()
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
