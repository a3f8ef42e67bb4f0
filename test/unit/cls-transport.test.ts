import { describe, expect, test } from "bun:test";
import { type ConfigSources, loadConfig } from "../../src/config/index.ts";
import { bypasses, proxyFor } from "../../src/config/proxy.ts";
import { ConfigError } from "../../src/errors.ts";

const base = { NVIDIA_API_KEY: "k", NVIDIA_ORG_NAME: "lic-example" };
const noFile = (): string => {
  throw Object.assign(new Error("nope"), { code: "ENOENT" });
};

function problems(env: Record<string, string>, readFile: ConfigSources["readFile"] = noFile): string[] {
  try {
    loadConfig({ env: { ...base, ...env }, argv: [], readFile });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).problems];
  }
  return [];
}

describe("NODE_TLS_REJECT_UNAUTHORIZED", () => {
  test.each(["0", "false", " 0", "no"])("%p is refused, naming the variable and the honest alternatives", (value) => {
    const found = problems({ NODE_TLS_REJECT_UNAUTHORIZED: value });
    expect(found).toHaveLength(1);
    expect(found[0]).toStartWith("NODE_TLS_REJECT_UNAUTHORIZED: ");
    expect(found[0]).toContain("NVIDIA_API_CA_FILE");
  });
  test.each(["1", ""])("%p is accepted", (value) => {
    expect(problems({ NODE_TLS_REJECT_UNAUTHORIZED: value })).toEqual([]);
  });
});

describe("NVIDIA_API_BASE_URL never echoes what may hold a token", () => {
  test.each([
    ["https://cls.example/?token=TOPSECRET", "a query string"],
    ["https://cls.example/#TOPSECRET", "a query string or fragment"],
    ["https://me:TOPSECRET@cls.example", "a user name or password"],
    ["ftp://cls.example/?token=TOPSECRET", "a query string"],
    ["cls.example?token=TOPSECRET", "http(s) URL"],
  ])("%s", (url, says) => {
    const found = problems({ NVIDIA_API_BASE_URL: url });
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(says);
    expect(found[0]).not.toContain("TOPSECRET");
  });
  test("a plain wrong value is quoted, to help", () => {
    expect(problems({ NVIDIA_API_BASE_URL: "ftp://cls.example" })[0]).toContain('"ftp://cls.example"');
  });
});

describe("NVIDIA_API_CA_FILE", () => {
  test("read at start; unreadable or not PEM is a problem", () => {
    const pem = "-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n";
    const read = (text: string) => () => text;
    const cfg = loadConfig({ env: { ...base, NVIDIA_API_CA_FILE: "/ca.pem" }, argv: [], readFile: read(pem) });
    expect(cfg.clsTransport.ca).toBe(pem);
    expect(problems({ NVIDIA_API_CA_FILE: "/ca.pem" })).toEqual(["NVIDIA_API_CA_FILE: cannot read /ca.pem (ENOENT)"]);
    expect(problems({ NVIDIA_API_CA_FILE: "/ca.pem" }, read("hello"))).toEqual(["NVIDIA_API_CA_FILE: /ca.pem is not PEM"]);
  });
});

describe("the proxy of CLS calls", () => {
  const https = new URL("https://api.licensing.nvidia.com");
  const choose = (env: Record<string, string>, target = https) => proxyFor(target, env, []);

  test("HTTPS_PROXY for https, HTTP_PROXY for http, upper case first, no fallback", () => {
    expect(choose({ HTTPS_PROXY: "http://a:3128", https_proxy: "http://b:3128" })).toMatchObject({
      kind: "proxy",
      variable: "HTTPS_PROXY",
    });
    expect(choose({ https_proxy: "http://b:3128" })).toMatchObject({ kind: "proxy", url: "http://b:3128/" });
    expect(choose({ HTTP_PROXY: "http://a:3128" })).toEqual({ kind: "none" });
    expect(choose({ http_proxy: "a:3128" }, new URL("http://cls.example"))).toMatchObject({ kind: "proxy", url: "http://a:3128/" });
  });

  test("credentials are kept for the call and never shown; a bad value is never quoted", () => {
    const p = choose({ HTTPS_PROXY: "http://user:s3cret@proxy:3128" });
    expect(p).toMatchObject({ kind: "proxy", url: "http://user:s3cret@proxy:3128/", shown: "http://proxy:3128 (with credentials)" });
    const found: string[] = [];
    proxyFor(https, { HTTPS_PROXY: "socks5://user:s3cret@proxy:1080" }, found);
    expect(found).toHaveLength(1);
    expect(found[0]).not.toContain("s3cret");
  });

  test.each([
    ["*", true],
    ["api.licensing.nvidia.com", true],
    ["nvidia.com", true],
    [".nvidia.com", true],
    ["*.nvidia.com", true],
    ["NVIDIA.COM", true],
    ["example.com, nvidia.com", true],
    ["licensing.nvidia.com:443", true],
    ["licensing.nvidia.com:8443", false],
    ["vidia.com", false],
    ["example.com", false],
    ["", false],
  ])("NO_PROXY=%p bypasses api.licensing.nvidia.com: %p", (noProxy, yes) => {
    expect(bypasses(noProxy, https)).toBe(yes);
  });

  test("NO_PROXY matches IPv4 addresses and CIDR ranges, and wins over the proxy", () => {
    const local = new URL("http://10.1.2.3:8080");
    expect(bypasses("10.0.0.0/8", local)).toBe(true);
    expect(bypasses("10.1.2.3", local)).toBe(true);
    expect(bypasses("10.1.2.3:80", local)).toBe(false);
    expect(bypasses("11.0.0.0/8", local)).toBe(false);
    expect(choose({ HTTP_PROXY: "http://p:1", no_proxy: "10.0.0.0/8" }, local)).toEqual({ kind: "bypassed", variable: "no_proxy" });
  });
});
