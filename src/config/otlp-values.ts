/** Parsers of the OTLP values whose syntax the OpenTelemetry specification sets. */
import { z } from "zod";

/** A gRPC collector listens on 4317 unless told otherwise. */
const DEFAULT_PORT = "4317";

export interface Endpoint {
  /** `http://host:port` or `https://host:port`. */
  url: string;
  /** What the scheme asks for; undefined when the endpoint had none. */
  secure: boolean | undefined;
}

/** `host:port`, `http://host[:port]` or `https://host[:port]` → URL and the security its scheme asks for. */
export const otlpEndpoint = z.string().transform((text, ctx): Endpoint => {
  const fail = (message: string) => {
    ctx.addIssue({ code: "custom", message });
    return z.NEVER;
  };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== "http" && scheme !== "https") return fail(`the scheme must be http:// or https://, got "${text}"`);
  const url = URL.parse(scheme ? text : `http://${text}`);
  if (!url?.hostname || url.username || url.password || url.search || url.hash || (url.pathname !== "/" && url.pathname !== ""))
    return fail(`must be host:port or http(s)://host:port, without path, query or credentials, got "${text}"`);
  // URL drops the scheme's default port (80/443), so the port is read from the text.
  const port = /:(\d+)\/?$/.exec(text)?.[1] ?? DEFAULT_PORT;
  if (Number(port) < 1 || Number(port) > 65_535) return fail(`the port must be 1-65535, got "${text}"`);
  return {
    url: `${scheme === "https" ? "https" : "http"}://${url.hostname}:${Number(port)}`,
    secure: scheme === undefined ? undefined : scheme === "https",
  };
});

interface KeyValueRules {
  key: (key: string) => boolean;
  /** A decoded value that breaks it is named by its key, with `valueRule` as the reason. */
  value?: (value: string) => boolean;
  valueRule?: string;
}

/**
 * `key=value,key2=value2` with percent-encoded values (OTEL_EXPORTER_OTLP_HEADERS,
 * OTEL_RESOURCE_ATTRIBUTES). Strict where the SDKs silently drop entries: a typo stops start-up.
 * Problems name the key, never the value (header values carry credentials).
 */
const keyValues = (rules: KeyValueRules) =>
  z.string().transform((text, ctx) => {
    const out = new Map<string, string>();
    for (const [i, entry] of text.split(",").entries()) {
      if (entry.trim() === "") continue;
      const eq = entry.indexOf("=");
      const key = (eq < 0 ? entry : entry.slice(0, eq)).trim();
      if (eq < 0 || !rules.key(key)) {
        const got = eq < 0 ? "" : `, got key "${key.slice(0, 40)}"`;
        ctx.addIssue({ code: "custom", message: `entry ${i + 1} must be key=value with a valid key${got}` });
        continue;
      }
      const value = decodeValue(entry.slice(eq + 1).trim());
      if (value === undefined) ctx.addIssue({ code: "custom", message: `the value of "${key}" has a malformed percent-escape` });
      else if (rules.value && !rules.value(value)) ctx.addIssue({ code: "custom", message: `the value of "${key}" ${rules.valueRule}` });
      else out.set(key, value);
    }
    return out;
  });

function decodeValue(encoded: string): string | undefined {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
}

/** gRPC metadata: lower-case-able text keys (binary `-bin` keys cannot come from text), printable ASCII values. */
export const grpcHeaders = keyValues({
  key: (k) => /^[0-9a-z_.-]+$/i.test(k) && !/-bin$/i.test(k),
  value: (v) => /^[\x20-\x7e]*$/.test(v),
  valueRule: "must be printable ASCII after decoding",
});

export const resourceAttributes = keyValues({ key: (k) => /^[\x21-\x7e]+$/.test(k) });
