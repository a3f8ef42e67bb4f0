import { describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config/index.ts";
import { ConfigError } from "../../src/errors.ts";

const base = { NVIDIA_API_KEY: "k3y-value-never-shown", NVIDIA_ORG_NAME: "lic-example" };
const on = { ...base, OTEL_ENABLED: "true" };
const files: Record<string, string> = {
  "/ca.pem": "-----BEGIN CERTIFICATE-----\nca\n",
  "/key.pem": "-----BEGIN PRIVATE KEY-----\nk\n",
  "/crt.pem": "-----BEGIN CERTIFICATE-----\nc\n",
  "/junk": "hello",
};
const readFile = (p: string) => {
  if (p in files) return files[p]!;
  throw Object.assign(new Error("nope"), { code: "ENOENT" });
};
const load = (env: Record<string, string>, argv: string[] = []) => loadConfig({ env, argv, readFile, hostname: "gpu-host-1" });

function problems(env: Record<string, string>, argv: string[] = []): string[] {
  try {
    load(env, argv);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).problems];
  }
  throw new Error("expected a ConfigError");
}

describe("OTLP settings", () => {
  test("off by default; the standard variables are not even read then", () => {
    expect(load(base).otlp).toBeUndefined();
    expect(load({ ...base, OTEL_EXPORTER_OTLP_HEADERS: "not a header", OTEL_EXPORTER_OTLP_TIMEOUT: "soon" }).otlp).toBeUndefined();
  });

  test("the seed's defaults when enabled", () => {
    expect(load(on).otlp).toEqual({
      url: "http://127.0.0.1:4317",
      insecure: true,
      headers: [],
      timeoutMs: 10_000,
      compression: "none",
      tls: {},
      resource: {
        "service.name": "nvidia-license-server-exporter",
        "service.instance.id": "gpu-host-1",
        "nvidia.cls.org.name": "lic-example",
      },
      intervalMs: 60_000,
    });
  });

  test("precedence: flag, then the seed's variable, then the metrics-specific standard variable, then the general one", () => {
    const std = { ...on, OTEL_EXPORTER_OTLP_ENDPOINT: "http://general:1", OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "http://metrics:2" };
    expect(load({ ...on, OTEL_EXPORTER_OTLP_ENDPOINT: "http://general:1" }).otlp!.url).toBe("http://general:1");
    expect(load(std).otlp!.url).toBe("http://metrics:2");
    expect(load({ ...std, OTEL_ENDPOINT: "seed:3" }).otlp!.url).toBe("http://seed:3");
    expect(load({ ...std, OTEL_ENDPOINT: "seed:3" }, ["-otel-endpoint", "flag:4"]).otlp!.url).toBe("http://flag:4");
    // Blank standard variables count as unset, as in the OTel SDKs.
    expect(load({ ...on, OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: " ", OTEL_EXPORTER_OTLP_ENDPOINT: "general:5" }).otlp!.url).toBe(
      "http://general:5",
    );
  });

  test("every seed setting is a flag", () => {
    const c = load(base, [
      "-otel-enabled",
      "true",
      "-otel-service-name",
      "svc",
      "-otel-service-instance-id",
      "i-1",
      "-otel-insecure=false",
      "-otel-push-interval",
      "15s",
      "-otel-endpoint",
      "collector.example:4317",
    ]);
    expect(c.otlp).toMatchObject({
      url: "https://collector.example:4317",
      insecure: false,
      intervalMs: 15_000,
      resource: { "service.name": "svc", "service.instance.id": "i-1" },
    });
  });

  test("endpoint forms: port 4317 when omitted, the scheme decides TLS unless OTEL_INSECURE says so", () => {
    expect(load({ ...on, OTEL_ENDPOINT: "collector" }).otlp).toMatchObject({ url: "http://collector:4317", insecure: true });
    expect(load({ ...on, OTEL_ENDPOINT: "https://collector.example" }).otlp).toMatchObject({
      url: "https://collector.example:4317",
      insecure: false,
    });
    expect(load({ ...on, OTEL_ENDPOINT: "http://collector:80/" }).otlp).toMatchObject({ url: "http://collector:80", insecure: true });
    expect(load({ ...on, OTEL_ENDPOINT: "[::1]:4317" }).otlp!.url).toBe("http://[::1]:4317");
    expect(load({ ...on, OTEL_ENDPOINT: "collector:4317", OTEL_EXPORTER_OTLP_INSECURE: "false" }).otlp!.insecure).toBe(false);
    expect(load({ ...on, OTEL_ENDPOINT: "collector:4317", OTEL_INSECURE: "FALSE" }).otlp!.url).toBe("https://collector:4317");
  });

  test("OTEL_RESOURCE_ATTRIBUTES: decoded, extra keys kept; the seed's variables and flags win for service.*", () => {
    const attrs = "service.name=from-attrs,service.instance.id=node%2F7,deployment.environment.name=prod%20eu, team = gpu ,";
    expect(load({ ...on, OTEL_RESOURCE_ATTRIBUTES: attrs }).otlp!.resource).toEqual({
      "service.name": "from-attrs",
      "service.instance.id": "node/7",
      "deployment.environment.name": "prod eu",
      team: "gpu",
      "nvidia.cls.org.name": "lic-example",
    });
    expect(load({ ...on, OTEL_RESOURCE_ATTRIBUTES: attrs, OTEL_SERVICE_NAME: "seed" }).otlp!.resource["service.name"]).toBe("seed");
  });

  test("headers: W3C format, percent-decoded, keys lower-cased, the metrics-specific variable wins per key", () => {
    const c = load({
      ...on,
      OTEL_EXPORTER_OTLP_HEADERS: "Authorization=Bearer%20abc%3D,X-Scope=a",
      OTEL_EXPORTER_OTLP_METRICS_HEADERS: "x-scope=b,x-extra=c",
    });
    expect(Object.fromEntries(c.otlp!.headers)).toEqual({ authorization: "Bearer abc=", "x-scope": "b", "x-extra": "c" });
  });

  test("TLS files are read at start-up", () => {
    const c = load({
      ...on,
      OTEL_ENDPOINT: "https://collector:4317",
      OTEL_EXPORTER_OTLP_CERTIFICATE: "/ca.pem",
      OTEL_EXPORTER_OTLP_CLIENT_KEY: "/key.pem",
      OTEL_EXPORTER_OTLP_METRICS_CLIENT_CERTIFICATE: "/crt.pem",
    });
    expect(c.otlp!.tls).toEqual({ ca: files["/ca.pem"], key: files["/key.pem"], cert: files["/crt.pem"] });
  });

  test("timeout and compression", () => {
    expect(load({ ...on, OTEL_EXPORTER_OTLP_TIMEOUT: "2500", OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: "GZIP" }).otlp).toMatchObject({
      timeoutMs: 2500,
      compression: "gzip",
    });
  });
});

describe("invalid OTLP settings stop start-up, naming the variable", () => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ["not a boolean", { ...base, OTEL_ENABLED: "yes" }, /^OTEL_ENABLED: must be true or false, got "yes"/],
    [
      "interval too short (checked even when disabled)",
      { ...base, OTEL_PUSH_INTERVAL: "10ms" },
      /^OTEL_PUSH_INTERVAL: must be at least 1000ms/,
    ],
    ["scheme", { ...on, OTEL_ENDPOINT: "grpc://collector:4317" }, /^OTEL_ENDPOINT: the scheme must be http:\/\/ or https:\/\//],
    [
      "path",
      { ...on, OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/v1/metrics" },
      /^OTEL_ENDPOINT: must be host:port .*without path/,
    ],
    ["port", { ...on, OTEL_ENDPOINT: "collector:70000" }, /^OTEL_ENDPOINT: /],
    [
      "scheme contradicts OTEL_INSECURE",
      { ...on, OTEL_ENDPOINT: "https://collector:4317", OTEL_INSECURE: "true" },
      /^OTEL_INSECURE: is true but the endpoint's scheme asks for TLS/,
    ],
    [
      "TLS to an IP address",
      { ...on, OTEL_ENDPOINT: "https://10.0.0.5:4317" },
      /^OTEL_ENDPOINT: TLS needs a host name, not the IP address 10\.0\.0\.5/,
    ],
    [
      "certificate with plaintext",
      { ...on, OTEL_EXPORTER_OTLP_CERTIFICATE: "/ca.pem" },
      /^OTEL_EXPORTER_OTLP_CERTIFICATE: is set but OTLP push is plaintext/,
    ],
    [
      "missing certificate file",
      { ...on, OTEL_ENDPOINT: "https://c:4317", OTEL_EXPORTER_OTLP_CERTIFICATE: "/missing.pem" },
      /^OTEL_EXPORTER_OTLP_CERTIFICATE: cannot read "\/missing.pem" \(ENOENT\)/,
    ],
    ["not PEM", { ...on, OTEL_ENDPOINT: "https://c:4317", OTEL_EXPORTER_OTLP_CERTIFICATE: "/junk" }, /holds no PEM block/],
    [
      "key without certificate",
      { ...on, OTEL_ENDPOINT: "https://c:4317", OTEL_EXPORTER_OTLP_CLIENT_KEY: "/key.pem" },
      /mutual TLS needs both/,
    ],
    [
      "timeout",
      { ...on, OTEL_EXPORTER_OTLP_TIMEOUT: "10s" },
      /^OTEL_EXPORTER_OTLP_TIMEOUT: must be whole milliseconds from 1 to 600000, got "10s"/,
    ],
    ["compression", { ...on, OTEL_EXPORTER_OTLP_COMPRESSION: "br" }, /^OTEL_EXPORTER_OTLP_COMPRESSION: must be gzip or none, got "br"/],
    ["standard insecure", { ...on, OTEL_EXPORTER_OTLP_INSECURE: "1" }, /^OTEL_EXPORTER_OTLP_INSECURE: must be true or false/],
    ["header without =", { ...on, OTEL_EXPORTER_OTLP_HEADERS: "a=1,broken" }, /^OTEL_EXPORTER_OTLP_HEADERS: entry 2 must be key=value/],
    [
      "header key gRPC refuses",
      { ...on, OTEL_EXPORTER_OTLP_HEADERS: "bad key=1" },
      /^OTEL_EXPORTER_OTLP_HEADERS: entry 1 must be key=value with a valid key, got key "bad key"/,
    ],
    ["binary header", { ...on, OTEL_EXPORTER_OTLP_HEADERS: "trace-bin=AAA" }, /valid key/],
    ["bad percent-escape", { ...on, OTEL_EXPORTER_OTLP_HEADERS: "x-token=%zz" }, /the value of "x-token" has a malformed percent-escape/],
    [
      "header value not ASCII",
      { ...on, OTEL_EXPORTER_OTLP_METRICS_HEADERS: "x-name=J%C3%BCrgen" },
      /the value of "x-name" must be printable ASCII/,
    ],
    ["resource attribute", { ...on, OTEL_RESOURCE_ATTRIBUTES: "=v" }, /^OTEL_RESOURCE_ATTRIBUTES: entry 1 must be key=value/],
  ];
  for (const [what, env, re] of cases) {
    test(what, () => {
      const list = problems(env);
      expect(list.some((p) => re.test(p))).toBe(true);
    });
  }

  test("the exporter's own OTLP settings given as flags are named by the flag as typed", () => {
    expect(problems(on, ["--otel-endpoint", "grpc://collector:4317"])).toEqual([
      '--otel-endpoint: the scheme must be http:// or https://, got "grpc://collector:4317"',
    ]);
    expect(problems(on, ["-otel-endpoint=https://10.0.0.5:4317", "-otel-insecure", "true"])).toEqual([
      "-otel-insecure: is true but the endpoint's scheme asks for TLS (https://); drop one of them",
    ]);
    expect(problems(base, ["--otel-enabled=yes"])).toEqual(['--otel-enabled: must be true or false, got "yes"']);
  });

  test("header values never appear in a problem: they carry credentials", () => {
    const list = problems({ ...on, OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer%zzsecret-token-123,x-bad-value=J%C3%BCrgen-secret" });
    expect(list.join("\n")).not.toContain("secret");
  });

  test("a plaintext push with headers to another host is warned about", () => {
    expect(
      load({ ...on, OTEL_ENDPOINT: "collector.example:4317", OTEL_EXPORTER_OTLP_HEADERS: "authorization=x" }).warnings.join(),
    ).toContain("plaintext");
    expect(load({ ...on, OTEL_EXPORTER_OTLP_HEADERS: "authorization=x" }).warnings).toEqual([]);
  });
});
