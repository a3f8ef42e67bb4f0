import { describe, expect, test } from "bun:test";
import { DEFAULT_CLS_LIMITS } from "../../src/cls/limits.ts";
import {
  type ConfigSources,
  cliRequest,
  loadConfig,
  RESERVED_PATHS,
  renderDoc,
  SETTINGS,
  settingDoc,
  usage,
} from "../../src/config/index.ts";
import { ConfigError } from "../../src/errors.ts";

const SECRET = "sk-live-0123456789abcdef";
const noFile = (): string => {
  throw Object.assign(new Error("nope"), { code: "ENOENT" });
};
const base = { NVIDIA_API_KEY: SECRET, NVIDIA_ORG_NAME: "lic-example" };

function load(env: Record<string, string | undefined>, argv: string[] = [], readFile: ConfigSources["readFile"] = noFile) {
  return loadConfig({ env, argv, readFile });
}

function problems(env: Record<string, string | undefined>, argv: string[] = [], readFile: ConfigSources["readFile"] = noFile): string[] {
  try {
    load(env, argv, readFile);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).not.toContain(SECRET);
    return [...(err as ConfigError).problems];
  }
  throw new Error("expected a ConfigError");
}

describe("defaults", () => {
  test("the seed's defaults", () => {
    const c = load(base);
    expect(c).toMatchObject({
      baseUrl: "https://api.licensing.nvidia.com",
      serviceInstanceId: undefined,
      listen: { hostname: undefined, port: 9844 },
      metricsPath: "/metrics",
      scrapeTimeoutMs: 20_000,
      cacheTtlMs: 60_000,
      parallelism: 8,
      warnings: [],
    });
  });

  test("the CLS limits' defaults are the ones a client built without a Config gets", () => {
    expect(load(base).clsLimits).toEqual({ ...DEFAULT_CLS_LIMITS });
  });

  test("sizes take units; nonsense and out-of-range sizes are refused", () => {
    expect(load({ ...base, CLS_MAX_RESPONSE_BYTES: "1.5kB", CLS_MAX_INFLATED_BYTES: "2 MiB" }).clsLimits).toMatchObject({
      maxResponseBytes: 1_500,
      maxInflatedBytes: 2 * 2 ** 20,
    });
    expect(problems({ ...base, CLS_MAX_RESPONSE_BYTES: "64 parsecs" })[0]).toStartWith("CLS_MAX_RESPONSE_BYTES: must be a size");
    expect(problems({ ...base, CLS_MAX_INFLATED_BYTES: "12" })[0]).toStartWith("CLS_MAX_INFLATED_BYTES: must be a size");
    expect(problems({ ...base, CLS_MAX_STRING_LENGTH: "8" })[0]).toStartWith("CLS_MAX_STRING_LENGTH: must be");
  });

  test("PORT is used when LISTEN_ADDRESS is unset, and ignored when it is set", () => {
    expect(load({ ...base, PORT: "8080" }).listen).toEqual({ hostname: undefined, port: 8080 });
    expect(load({ ...base, PORT: "8080", LISTEN_ADDRESS: "127.0.0.1:9000" }).listen).toEqual({ hostname: "127.0.0.1", port: 9000 });
    expect(problems({ ...base, PORT: "http" })[0]).toStartWith("LISTEN_ADDRESS:");
  });
});

describe("flags", () => {
  test("single and double dash, = and separate value; a flag beats the env", () => {
    const c = load({ ...base, CACHE_TTL: "5m" }, [
      "-cache-ttl",
      "1h30m",
      "--parallelism=3",
      "-listen-address=[::1]:80",
      "--metrics-path",
      "/m",
    ]);
    expect(c.cacheTtlMs).toBe(5_400_000);
    expect(c.parallelism).toBe(3);
    expect(c.listen).toEqual({ hostname: "::1", port: 80 });
    expect(c.metricsPath).toBe("/m");
  });

  test("every setting has a flag", () => {
    // The web config flag has the name every Prometheus exporter gives it.
    for (const s of SETTINGS)
      expect<string>(s.flag).toBe(s.env === "WEB_CONFIG_FILE" ? "web.config.file" : s.env.toLowerCase().replaceAll("_", "-"));
  });

  test("the key as a flag works but is warned about", () => {
    const c = load({ NVIDIA_ORG_NAME: "o" }, [`-nvidia-api-key=${SECRET}`]);
    expect(c.apiKey).toBe(SECRET);
    expect(c.warnings.join()).toContain("process list");
    expect(c.warnings.join()).not.toContain(SECRET);
  });

  test("unknown flags, missing values and stray arguments are errors", () => {
    expect(problems(base, ["-bogus", "extra", "--parallelism"])).toEqual([
      "flags: unknown flag -bogus (see --help)",
      "--parallelism: needs a value",
      "flags: 1 unexpected argument(s) that belong to no flag (values must follow their flag)",
    ]);
  });

  test("a value after a mistyped flag is never echoed", () => {
    const found = problems({ NVIDIA_ORG_NAME: "o" }, ["--nvidia-apikey", SECRET]);
    expect(found.join("\n")).not.toContain(SECRET);
    expect(found[0]).toBe("flags: unknown flag --nvidia-apikey (see --help)");
  });

  test("a value that starts with a dash stays as given", () => {
    expect(load({ NVIDIA_ORG_NAME: "o" }, ["-nvidia-api-key", "-secretlower"]).apiKey).toBe("-secretlower");
  });

  test("an unknown flag is echoed as typed, with one dash or two, never with its value", () => {
    expect(problems(base, ["-foo", "--bar", "--nvidia-apikey=secret-value"])).toEqual([
      "flags: unknown flag -foo (see --help)",
      "flags: unknown flag --bar (see --help)",
      "flags: unknown flag --nvidia-apikey (see --help)",
    ]);
  });

  test("after -- every argument is a stray one, even a flag", () => {
    expect(problems(base, ["--", "-cache-ttl", "5m"])).toEqual([
      "flags: 2 unexpected argument(s) that belong to no flag (values must follow their flag)",
    ]);
  });
});

describe("a problem names the setting as the user gave it", () => {
  test("the flag as typed when it came from a flag, the variable when it came from the environment", () => {
    expect(problems(base, ["-cache-ttl", "soon"])).toEqual(['-cache-ttl: "soon" is not a duration (use e.g. 250ms, 20s, 5m, 1h30m, 8d)']);
    expect(problems(base, ["--cache-ttl=soon"])[0]).toStartWith('--cache-ttl: "soon" is not a duration');
    expect(problems({ ...base, CACHE_TTL: "soon" })[0]).toStartWith('CACHE_TTL: "soon" is not a duration');
    expect(problems({ ...base, CACHE_TTL: "1m" }, ["--parallelism", "99"])).toEqual([
      '--parallelism: must be a whole number from 1 to 64, got "99"',
    ]);
  });

  test("the flag beats the variable, so the flag is named", () => {
    expect(problems({ ...base, LISTEN_ADDRESS: "nowhere" }, ["-listen-address", "elsewhere"])[0]).toStartWith("-listen-address: ");
  });

  test("secrets and their files given as flags are named by the flag, still never quoted", () => {
    expect(problems({ NVIDIA_ORG_NAME: "o" }, ["--nvidia-api-key-file", SECRET])).toEqual([
      "--nvidia-api-key-file: cannot read the file (ENOENT)",
    ]);
    expect(problems({ NVIDIA_ORG_NAME: "o" }, ["-nvidia-api-key=two words"])).toEqual([
      "-nvidia-api-key must be printable ASCII without spaces or line breaks",
    ]);
  });

  test("a rule across two settings names each as given", () => {
    expect(problems(base, ["-history-raw-retention", "30d", "--history-retention=7d"])).toEqual([
      '--history-retention: must be at least -history-raw-retention ("30d"), got "7d"',
    ]);
  });
});

describe("the API key", () => {
  test("from a file, trimmed, winning over the variable", () => {
    const c = load({ ...base, NVIDIA_API_KEY_FILE: "/run/secrets/key" }, [], (p) => (p === "/run/secrets/key" ? "  file-key\n" : noFile()));
    expect(c.apiKey).toBe("file-key");
  });

  test("an unreadable or empty file is an error that does not quote the path (it might be the key)", () => {
    expect(problems({ ...base, NVIDIA_API_KEY_FILE: SECRET })).toEqual(["NVIDIA_API_KEY_FILE: cannot read the file (ENOENT)"]);
    expect(problems({ ...base, NVIDIA_API_KEY_FILE: "/empty" }, [], () => " \n")).toEqual(["NVIDIA_API_KEY_FILE: the file is empty"]);
  });

  test("the file wins even over an empty NVIDIA_API_KEY", () => {
    expect(load({ NVIDIA_ORG_NAME: "o", NVIDIA_API_KEY: "", NVIDIA_API_KEY_FILE: "/k" }, [], () => "k1").apiKey).toBe("k1");
  });

  test("a key that cannot be sent in a header is refused at start-up", () => {
    expect(problems({ NVIDIA_ORG_NAME: "o", NVIDIA_API_KEY: "abc\ndef" })).toEqual([
      "NVIDIA_API_KEY must be printable ASCII without spaces or line breaks",
    ]);
    expect(problems({ NVIDIA_ORG_NAME: "o", NVIDIA_API_KEY_FILE: "/k" }, [], () => "ab cd\n")).toEqual([
      "NVIDIA_API_KEY_FILE: the file's content must be printable ASCII without spaces or line breaks",
    ]);
  });

  test("missing or blank", () => {
    expect(problems({ NVIDIA_ORG_NAME: "o" })).toEqual(["NVIDIA_API_KEY: required (or set NVIDIA_API_KEY_FILE)"]);
    expect(problems({ NVIDIA_ORG_NAME: "o", NVIDIA_API_KEY: "  " })).toEqual(["NVIDIA_API_KEY: must not be empty"]);
  });
});

describe("bad values: one error naming every bad variable", () => {
  test("all at once", () => {
    const found = problems({
      NVIDIA_API_KEY: SECRET,
      NVIDIA_API_BASE_URL: "javascript:alert(1)",
      LISTEN_ADDRESS: "9844",
      METRICS_PATH: "metrics",
      SCRAPE_TIMEOUT: "20",
      CACHE_TTL: "500ms",
      PARALLELISM: "1e3",
    });
    expect(found.map((p) => p.split(":")[0])).toEqual([
      "NVIDIA_ORG_NAME",
      "NVIDIA_API_BASE_URL",
      "LISTEN_ADDRESS",
      "METRICS_PATH",
      "SCRAPE_TIMEOUT",
      "CACHE_TTL",
      "PARALLELISM",
    ]);
  });

  test.each([
    ["NVIDIA_ORG_NAME", "a/b"],
    ["NVIDIA_ORG_NAME", ""],
    ["NVIDIA_API_BASE_URL", "ftp://x"],
    ["NVIDIA_API_BASE_URL", "https://x/?q=1"],
    ["NVIDIA_API_BASE_URL", "not a url"],
    ["LISTEN_ADDRESS", ":70000"],
    ["LISTEN_ADDRESS", "host"],
    ["METRICS_PATH", "/"],
    ["METRICS_PATH", "/healthz"],
    ["METRICS_PATH", "/a b"],
    ["SCRAPE_TIMEOUT", "1 hour"],
    ["SCRAPE_TIMEOUT", "-5s"],
    ["CACHE_TTL", "0s"],
    ["CACHE_TTL", "597h"],
    ["SCRAPE_TIMEOUT", "720h"],
    ["NVIDIA_API_BASE_URL", "https://user:pw@api.example.com"],
    ["PARALLELISM", "0"],
    ["PARALLELISM", "65"],
    ["PARALLELISM", "8.5"],
    ["PARALLELISM", ""],
    ["NVIDIA_SERVICE_INSTANCE_ID", " "],
  ])("%s=%p", (name, value) => {
    const found = problems({ ...base, [name]: value });
    expect(found).toHaveLength(1);
    expect(found[0]).toStartWith(`${name}: `);
  });

  test("plain http to a remote host is warned about; to loopback it is not", () => {
    expect(load({ ...base, NVIDIA_API_BASE_URL: "http://cls.example.com" }).warnings.join()).toContain("unencrypted");
    expect(load({ ...base, NVIDIA_API_BASE_URL: "http://127.0.0.1:8080" }).warnings).toEqual([]);
  });

  test("a trailing slash on the base URL is dropped", () => {
    expect(load({ ...base, NVIDIA_API_BASE_URL: "http://127.0.0.1:8080/" }).baseUrl).toBe("http://127.0.0.1:8080");
  });
});

describe("help and version requests", () => {
  test.each([["-h"], ["--h"], ["-help"], ["--help"]])("%s asks for the help text", (arg) => {
    expect(cliRequest([arg])).toBe("help");
    expect(cliRequest(["-cache-ttl", "5m", arg])).toBe("help");
  });

  test.each([["-v"], ["--v"], ["-version"], ["--version"]])("%s asks for the version", (arg) => {
    expect(cliRequest([arg])).toBe("version");
  });

  test("help wins over version, in any order", () => {
    expect(cliRequest(["-v", "--help"])).toBe("help");
  });

  test("a setting's value is never a request, nor is anything after --", () => {
    expect(cliRequest([])).toBeUndefined();
    expect(cliRequest(["-cache-ttl", "5m", "--parallelism=3"])).toBeUndefined();
    expect(cliRequest(["-nvidia-api-key", "-h"])).toBeUndefined();
    expect(cliRequest(["--", "-v"])).toBeUndefined();
    expect(cliRequest(["-verbose"])).toBeUndefined();
  });

  test("without the entry point's check, -v is an unknown flag like any other", () => {
    expect(problems(base, ["-v"])).toEqual(["flags: unknown flag -v (see --help)"]);
  });
});

test("--help lists every setting and no secret", () => {
  const text = usage();
  for (const s of SETTINGS) expect(text).toContain(`-${s.flag}`);
});

describe("--help is plain text for a terminal", () => {
  const text = usage();

  test("no Markdown: no backticks, emphasis, links or references to a section below", () => {
    expect(text).not.toContain("`");
    expect(text).not.toMatch(/(^|\s)[*_][^\s*_][^*_]*[*_]($|[\s.,;:])/m);
    expect(text).not.toMatch(/\[[^\]]*\]\(/);
    expect(text).not.toContain("[[");
    expect(text).not.toMatch(/\bbelow\b/i);
    const flowing = text.replaceAll(/\s+/g, " ");
    expect(flowing).toContain('access type "Licensing State"');
    expect(flowing).toContain('See the README section "Protecting the endpoints".');
  });

  test("the documentation is wrapped to 80 columns under its flag", () => {
    const docLines = text.split("\n").filter((l) => l.startsWith("      "));
    expect(docLines.length).toBeGreaterThan(SETTINGS.length);
    for (const line of docLines) expect(line.length).toBeLessThanOrEqual(80);
  });
});

describe("setting docs render to Markdown and to plain text", () => {
  const doc = "Set `KEY` for *Licensing State*; see [[Protecting the endpoints]]. `*_HEADERS` stays code.";

  test("Markdown for the README", () => {
    expect(renderDoc(doc, "markdown")).toBe(
      "Set `KEY` for _Licensing State_; see [Protecting the endpoints](#protecting-the-endpoints). `*_HEADERS` stays code.",
    );
  });

  test("plain text for --help", () => {
    expect(renderDoc(doc, "plain")).toBe(
      'Set KEY for "Licensing State"; see the README section "Protecting the endpoints". *_HEADERS stays code.',
    );
  });

  test("a setting's standard fallbacks are spelled out in both", () => {
    const endpoint = SETTINGS.find((s) => s.env === "OTEL_ENDPOINT")!;
    expect(settingDoc(endpoint, "markdown")).toEndWith(
      "When unset: `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`, else `OTEL_EXPORTER_OTLP_ENDPOINT`, else the default.",
    );
    expect(settingDoc(endpoint, "plain")).toEndWith(
      "When unset: OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT, else the default.",
    );
  });
});

describe("history settings", () => {
  test("defaults: a file under ./data, raw changes for 8 days, hourly roll-ups for 400 days", () => {
    expect(load(base)).toMatchObject({
      dbPath: "./data/nvidia-cls-exporter.db",
      historyRawRetentionMs: 8 * 86_400_000,
      historyRetentionMs: 400 * 86_400_000,
    });
  });

  test("on Railway the file goes on the mounted volume unless DB_PATH says otherwise", () => {
    expect(load({ ...base, RAILWAY_VOLUME_MOUNT_PATH: "/data/" }).dbPath).toBe("/data/nvidia-cls-exporter.db");
    expect(load({ ...base, RAILWAY_VOLUME_MOUNT_PATH: "/data", DB_PATH: "/srv/h.db" }).dbPath).toBe("/srv/h.db");
    expect(load({ ...base, RAILWAY_VOLUME_MOUNT_PATH: "/data" }, ["-db-path", ":memory:"]).dbPath).toBe(":memory:");
  });

  test("bad values are named", () => {
    expect(problems({ ...base, DB_PATH: " " })).toEqual(["DB_PATH: must not be empty"]);
    expect(problems({ ...base, HISTORY_RAW_RETENTION: "10m" })).toEqual(['HISTORY_RAW_RETENTION: must be at least 1h, got "10m"']);
    expect(problems({ ...base, HISTORY_RETENTION: "20y" })[0]).toStartWith('HISTORY_RETENTION: "20y" is not a duration');
    expect(problems({ ...base, HISTORY_RETENTION: "4000d" })).toEqual(['HISTORY_RETENTION: must be at most 3650d, got "4000d"']);
    expect(problems({ ...base, HISTORY_RAW_RETENTION: "30d", HISTORY_RETENTION: "7d" })).toEqual([
      'HISTORY_RETENTION: must be at least HISTORY_RAW_RETENTION ("30d"), got "7d"',
    ]);
  });

  test("the metrics path cannot take /history", () => {
    expect(problems({ ...base, METRICS_PATH: "/history" })[0]).toStartWith("METRICS_PATH:");
  });

  test("the metrics path cannot take any path the exporter serves itself", () => {
    for (const path of Object.values(RESERVED_PATHS)) {
      const found = problems({ ...base, METRICS_PATH: path });
      expect(found).toHaveLength(1);
      expect(found[0]).toStartWith("METRICS_PATH: must not be /, /healthz");
      expect(found[0]).toEndWith(", which the exporter serves itself");
    }
  });

  test("the metrics path cannot take a path under /assets/ (the pages' versioned files), but may start with its letters", () => {
    for (const path of ["/assets/", "/assets/0123456789abcdef/page.css"]) {
      const found = problems({ ...base, METRICS_PATH: path });
      expect(found).toHaveLength(1);
      expect(found[0]).toContain("nor under /assets/");
    }
    expect(load({ ...base, METRICS_PATH: "/assets-metrics" }).metricsPath).toBe("/assets-metrics");
  });
});

describe("logging settings", () => {
  test("logfmt at info by default; json and any level on request, case-insensitive", () => {
    expect(load(base).log).toEqual({ level: "info", format: "logfmt" });
    expect(load({ ...base, LOG_LEVEL: "DEBUG", LOG_FORMAT: "json" }).log).toEqual({ level: "debug", format: "json" });
    expect(load(base, ["--log-level=warn", "-log-format", "JSON"]).log).toEqual({ level: "warn", format: "json" });
  });

  test("bad values are named with what is allowed", () => {
    expect(problems({ ...base, LOG_LEVEL: "verbose", LOG_FORMAT: "text" })).toEqual([
      'LOG_LEVEL: must be one of debug, info, warn, error, got "verbose"',
      'LOG_FORMAT: must be logfmt or json, got "text"',
    ]);
  });
});

describe("endpoint protection settings", () => {
  const TOKEN = "tok-0123456789abcdef";
  const files =
    (map: Record<string, string>): ConfigSources["readFile"] =>
    (p) => {
      if (p in map) return map[p]!;
      throw Object.assign(new Error("nope"), { code: "ENOENT" });
    };

  test("off by default", () => {
    const c = load(base);
    expect(c.web).toBeUndefined();
    expect(c.bearerToken).toBeUndefined();
  });

  test("the bearer token from its file (winning) or its variable; never quoted in errors", () => {
    expect(load({ ...base, AUTH_BEARER_TOKEN: TOKEN }).bearerToken).toBe(TOKEN);
    expect(
      load({ ...base, AUTH_BEARER_TOKEN: "other", AUTH_BEARER_TOKEN_FILE: "/run/tok" }, [], files({ "/run/tok": `${TOKEN}\n` }))
        .bearerToken,
    ).toBe(TOKEN);
    const bad = problems({ ...base, AUTH_BEARER_TOKEN_FILE: "/run/missing" });
    expect(bad).toEqual(["AUTH_BEARER_TOKEN_FILE: cannot read the file (ENOENT)"]);
    const spaced = problems({ ...base, AUTH_BEARER_TOKEN: "two words" });
    expect(spaced.join()).not.toContain("two words");
  });

  test("the token as a flag works but is warned about, like credentials without TLS on a public address", () => {
    const c = load(base, ["-auth-bearer-token", TOKEN, "-listen-address", ":9844"]);
    expect(c.bearerToken).toBe(TOKEN);
    expect(c.warnings).toHaveLength(2);
    expect(c.warnings[0]).toContain("process list");
    expect(c.warnings[1]).toContain("without tls_server_config");
    expect(c.warnings.join()).not.toContain(TOKEN);
    expect(load({ ...base, AUTH_BEARER_TOKEN: TOKEN, LISTEN_ADDRESS: "127.0.0.1:9844" }).warnings).toEqual([]);
  });

  test("a short bearer token is warned about, without quoting it", () => {
    const w = load({ ...base, AUTH_BEARER_TOKEN: "abc123", LISTEN_ADDRESS: "127.0.0.1:9844" }).warnings;
    expect(w).toEqual(["the bearer token is 6 characters long; use at least 16 random ones (e.g. openssl rand -hex 24)"]);
  });

  test("WEB_CONFIG_FILE and --web.config.file are read, paths relative to the file", () => {
    const yaml = "basic_auth_users:\n  prom: $2y$04$NTcvbCMxr83N1F.gF1DK9ujSFExZWdaQ3CwY3uej/cF3mRcuGWFBS\n";
    const c = load(base, ["--web.config.file=/etc/exp/web.yml"], files({ "/etc/exp/web.yml": yaml }));
    expect([...c.web!.users.keys()]).toEqual(["prom"]);
    expect(problems(base, ["--web.config.file", "/nope.yml"])).toEqual(["--web.config.file: cannot read /nope.yml (ENOENT)"]);
    expect(problems({ ...base, WEB_CONFIG_FILE: "/nope.yml" })).toEqual(["WEB_CONFIG_FILE: cannot read /nope.yml (ENOENT)"]);
  });
});
