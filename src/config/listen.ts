/** Where the exporter is reached: its listen address, the paths it serves, the credentials it asks for. */
import { z } from "zod";
import type { Env } from "./primitives.ts";
import { DEFAULT_LISTEN } from "./settings.ts";
import type { WebConfig } from "./web-config.ts";

export interface ListenAddress {
  /** undefined: every interface. */
  hostname: string | undefined;
  port: number;
}

export const listenAddress = z.string().transform((text, ctx): ListenAddress => {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]*)):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || port > 65_535) {
    ctx.addIssue({ code: "custom", message: `must be host:port, :port or [ipv6]:port with a port of 0-65535, got "${text}"` });
    return { hostname: undefined, port: 0 };
  }
  return { hostname: m[1] ?? (m[2] || undefined), port };
});

/** LISTEN_ADDRESS as given, else `:$PORT` (Railway, Heroku), else the default. */
export function listenInput(env: Env, flag: string | undefined): string {
  return flag ?? env.LISTEN_ADDRESS ?? (env.PORT !== undefined ? `:${env.PORT}` : DEFAULT_LISTEN);
}

/** Where the exporter listens, from the environment alone (for the container health check). */
export function listenFromEnv(env: Env): ListenAddress | undefined {
  const r = listenAddress.safeParse(listenInput(env, undefined));
  return r.success ? r.data : undefined;
}

/** A URL for reaching a listener from this host: a wildcard address becomes 127.0.0.1. */
export function localBaseUrl(hostname: string | undefined, port: number, scheme: "http" | "https" = "http"): string {
  const host = localHost(hostname);
  return `${scheme}://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** The host to reach a listener on from this host: a wildcard address becomes 127.0.0.1. */
export function localHost(hostname: string | undefined): string {
  return !hostname || hostname === "0.0.0.0" || hostname === "::" ? "127.0.0.1" : hostname;
}

/** localhost, 127.x.x.x or ::1 (bracketed as in a URL, or not as in LISTEN_ADDRESS). */
export const isLoopbackHost = (host: string) => /^(localhost|127\.\d+\.\d+\.\d+|\[?::1\]?)$/.test(host);

/** The paths the HTTP app serves besides the metrics path, which therefore may not take one of them. */
export const RESERVED_PATHS = { page: "/", health: "/healthz", history: "/history", report: "/report", assets: "/assets" } as const;

const reserved: readonly string[] = Object.values(RESERVED_PATHS);
/** Reserved with every path under them: the pages' files are served at /assets/<content hash>/<name>. */
const reservedFolders: readonly string[] = [RESERVED_PATHS.assets];

export const metricsPath = z
  .string()
  .regex(/^\/[A-Za-z0-9._~\-/]*$/, "must start with / and hold only URL path characters")
  .refine(
    (p) => !reserved.includes(p) && !reservedFolders.some((folder) => p.startsWith(`${folder}/`)),
    `must not be ${reserved.slice(0, -1).join(", ")} or ${reserved.at(-1)}, nor under ${reservedFolders.map((f) => `${f}/`).join(", ")}, which the exporter serves itself`,
  );

/** What the endpoints are protected with. */
export interface Protection {
  web: WebConfig | undefined;
  bearerToken: string | undefined;
}

/** Which credentials the endpoints accept: none (open), basic-auth users, a bearer token, or both. */
export function authSchemes(c: Protection): ("basic" | "bearer")[] {
  return [...((c.web?.users.size ?? 0) > 0 ? (["basic"] as const) : []), ...(c.bearerToken !== undefined ? (["bearer"] as const) : [])];
}
