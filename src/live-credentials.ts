/**
 * The credentials that change without a restart: the API key and the bearer token when they come
 * from files (re-read when the file changes, as mounted secrets rotate), and, on SIGHUP, the
 * basic-auth users of WEB_CONFIG_FILE. What cannot change without rebinding the port (TLS) is only
 * reported. New values that cannot be used keep the old ones, and the log says why.
 */
import { authSchemes, type Config, loadWebConfig } from "./config/index.ts";
import { type Recheck, type RotatingSecret, rotatingSecret, type SecretFs } from "./config/secrets.ts";
import { createAuthenticator } from "./http/auth.ts";
import type { Gate } from "./http/guard.ts";
import type { Logger } from "./log.ts";

/** Secret files are looked at (stat) at most this often: cheap, and soon enough for the next refresh or request. */
export const SECRET_RECHECK_MS = 1_000;

export interface LiveCredentials {
  apiKey: () => string;
  /** When a changed key file was last re-read (ms); undefined while the key is the one read at start. */
  keyRereadAt: () => number | undefined;
  gate: () => Gate;
  /** SIGHUP: re-reads the secret files and the web configuration; logs one line saying what was reloaded. */
  reload: () => void;
}

type Users = Map<string, string>;

function buildGate(users: Users, bearerToken: string | undefined, log: Logger): Gate {
  const basic = authSchemes({ web: { users, headers: {} }, bearerToken }).includes("basic");
  return { auth: createAuthenticator({ users, bearerToken, log }), challenge: basic ? "Basic" : "Bearer" };
}

/** What cannot change without a restart: the TLS section and the response headers. */
const fixedPart = (web: Config["web"]) => JSON.stringify([web?.tls ?? null, web?.headers ?? {}]);

export function createLiveCredentials(config: Config, deps: { fs?: SecretFs; now: () => number; log: Logger }): LiveCredentials {
  const rotating = (name: "NVIDIA_API_KEY" | "AUTH_BEARER_TOKEN", path: string | undefined, initial: string | undefined) =>
    path && deps.fs && initial !== undefined
      ? rotatingSecret({ name, path, initial, fs: deps.fs, now: deps.now, everyMs: SECRET_RECHECK_MS, log: deps.log })
      : undefined;
  const key: RotatingSecret | undefined = rotating("NVIDIA_API_KEY", config.files.apiKey, config.apiKey);
  const bearer = rotating("AUTH_BEARER_TOKEN", config.files.bearerToken, config.bearerToken);
  let users: Users = config.web?.users ?? new Map();
  let web = config.web;
  let token = config.bearerToken;
  let gate = buildGate(users, token, deps.log);

  const current = (): Gate => {
    const now = bearer?.get() ?? token;
    if (now !== token) {
      token = now;
      gate = buildGate(users, token, deps.log);
    }
    return gate;
  };

  /** The web configuration anew; the previous users are kept when it cannot be used. */
  const reloadWeb = (path: string): string => {
    const problems: string[] = [];
    const next = deps.fs && loadWebConfig(path, deps.fs.read, problems);
    if (!next) {
      deps.log.warn("WEB_CONFIG_FILE cannot be used; the previous users are kept", { problems: problems.join("; ") });
      return "kept";
    }
    if (fixedPart(next) !== fixedPart(web))
      deps.log.warn("WEB_CONFIG_FILE: TLS and header changes take effect at the next start (the port is not rebound)");
    web = next;
    users = next.users;
    gate = buildGate(users, token, deps.log);
    return `${users.size} basic-auth user(s)`;
  };

  const reload = () => {
    const outcome = (r: Recheck | undefined) => r ?? "not from a file";
    const fields = {
      api_key: outcome(key?.recheck()),
      bearer_token: config.bearerToken === undefined ? "none" : outcome(bearer?.recheck()),
      web_config: config.files.webConfig ? reloadWeb(config.files.webConfig) : "none",
    };
    current();
    deps.log.info("reloaded on SIGHUP", fields);
  };

  return { apiKey: key ? key.get : () => config.apiKey, keyRereadAt: () => key?.rereadAt(), gate: current, reload };
}
