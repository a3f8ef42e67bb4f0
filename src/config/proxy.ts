/**
 * The proxy of CLS calls, from the standard variables and decided here once, so that what the log
 * says is what happens (the CLS fetch then passes it, or `false`, and never lets the runtime read
 * the variables itself). HTTPS_PROXY for an https base URL, HTTP_PROXY for http; the upper-case form
 * wins over the lower-case one; no fallback from one scheme to the other, and ALL_PROXY is not read.
 * A proxy URL may hold credentials: it is never quoted in a problem or a log line.
 */
import type { Env } from "./primitives.ts";

export type ProxyChoice =
  | { kind: "none" }
  /** A proxy is set, but NO_PROXY (named by `variable`) lists the CLS host. */
  | { kind: "bypassed"; variable: string }
  /** `url` may hold credentials; `shown` never does. */
  | { kind: "proxy"; url: string; shown: string; variable: string };

const set = (env: Env, name: string) => {
  const value = env[name]?.trim();
  return value ? { name, value } : undefined;
};
const either = (env: Env, name: string) => set(env, name) ?? set(env, name.toLowerCase());

/** An IPv4 address as a number; undefined for anything else. */
function ipv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts.reduce((n, p) => n * 256 + p, 0) : undefined;
}

/** One NO_PROXY entry: `*`, a host, a domain (`example.com`, `.example.com`, `*.example.com`: itself and below), an IPv4 CIDR, each optionally with `:port`. */
function matches(entry: string, host: string, port: string): boolean {
  if (entry === "*") return true;
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry);
  if (!m) return false;
  if (m[2] !== undefined && m[2] !== port) return false;
  const name = m[1]!.replace(/^\*?\./, "");
  const cidr = /^([\d.]+)\/(\d{1,2})$/.exec(name);
  if (cidr) {
    const [net, ip, bits] = [ipv4(cidr[1]!), ipv4(host), Number(cidr[2])];
    if (net === undefined || ip === undefined || bits > 32) return false;
    const size = 2 ** (32 - bits);
    return Math.floor(ip / size) === Math.floor(net / size);
  }
  return host === name || host.endsWith(`.${name}`);
}

/** Whether NO_PROXY (comma- or space-separated, case-insensitive) lists `target`. */
export function bypasses(noProxy: string, target: URL): boolean {
  const host = target.hostname.toLowerCase();
  const port = target.port || (target.protocol === "https:" ? "443" : "80");
  return noProxy
    .toLowerCase()
    .split(/[\s,]+/)
    .filter(Boolean)
    .some((entry) => matches(entry, host, port));
}

/** The proxy for calls to `target`; a problem (never quoting the value) when the variable is not a proxy URL. */
export function proxyFor(target: URL, env: Env, problems: string[]): ProxyChoice {
  const proxy = either(env, target.protocol === "https:" ? "HTTPS_PROXY" : "HTTP_PROXY");
  if (!proxy) return { kind: "none" };
  const noProxy = either(env, "NO_PROXY");
  if (noProxy && bypasses(noProxy.value, target)) return { kind: "bypassed", variable: noProxy.name };
  // A bare host:port means http://host:port, as curl and Go read it.
  const url = URL.parse(/^[a-z][a-z0-9+.-]*:\/\//i.test(proxy.value) ? proxy.value : `http://${proxy.value}`);
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || !url.hostname || (url.pathname !== "/" && url.pathname !== "")) {
    problems.push(`${proxy.name}: must be a proxy URL such as http://proxy.example:3128 (the value is not shown: it may hold a password)`);
    return { kind: "none" };
  }
  const shown = `${url.protocol}//${url.host}${url.username || url.password ? " (with credentials)" : ""}`;
  return { kind: "proxy", url: url.href, shown, variable: proxy.name };
}

/** For the listening line: where CLS calls go, never with credentials. */
export function describeProxy(p: ProxyChoice): string {
  if (p.kind === "proxy") return `${p.shown} from ${p.variable}`;
  return p.kind === "bypassed" ? `none (CLS host in ${p.variable})` : "none";
}
