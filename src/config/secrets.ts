/** The API key and the bearer token: from a file (which wins) or a variable, never quoted in a problem. */
import { readErrorCode } from "./files.ts";
import type { Env, Named } from "./primitives.ts";

/**
 * A secret from its file (which wins) or its variable; empty after a problem was recorded. Neither
 * the secret nor the file's path is quoted: pasted by mistake, the path would be the secret itself.
 */
export function resolveSecret(
  name: "NVIDIA_API_KEY" | "AUTH_BEARER_TOKEN",
  input: Env,
  named: Named,
  readFile: (path: string) => string,
  problems: string[],
): string {
  const fileVar = `${name}_FILE`;
  const file = input[fileVar]?.trim();
  const fileName = named(fileVar);
  if (file) {
    try {
      const secret = readFile(file).trim();
      if (secret) return checkSecret(`${fileName}: the file's content`, secret, problems);
      problems.push(`${fileName}: the file is empty`);
    } catch (err) {
      problems.push(`${fileName}: cannot read the file (${readErrorCode(err)})`);
    }
    return "";
  }
  const secret = input[name]?.trim();
  return secret ? checkSecret(named(name), secret, problems) : "";
}

/** A secret that cannot travel in an HTTP header would fail every call; say so at start-up instead. */
function checkSecret(what: string, secret: string, problems: string[]): string {
  if (/^[\x21-\x7e]+$/.test(secret)) return secret;
  problems.push(`${what} must be printable ASCII without spaces or line breaks`);
  return "";
}

/** What a secret file is read with at run time; `stamp` changes whenever the file does (a swapped symlink included). */
export interface SecretFs {
  read: (path: string) => string;
  stamp: (path: string) => string;
}

/** The outcome of a look at the file: a new value, the same one, or a bad new content (the previous value kept). */
export type Recheck = "changed" | "unchanged" | "kept";

export interface RotatingSecret {
  /** The value now; looks at the file first when the last look is `everyMs` old. */
  get: () => string;
  /** Looks at the file now (SIGHUP). */
  recheck: () => Recheck;
  /** When a changed file last gave a new value (ms); undefined while the value is the one read at start. */
  rereadAt: () => number | undefined;
}

export interface RotatingOptions {
  name: "NVIDIA_API_KEY" | "AUTH_BEARER_TOKEN";
  path: string;
  /** The value read at start. */
  initial: string;
  fs: SecretFs;
  now: () => number;
  everyMs: number;
  /** Told once per change of the file: the new value is used, or why it is not. Never given the value or the path. */
  log: { info: (msg: string) => void; warn: (msg: string) => void };
}

/**
 * A secret whose file is looked at (stat) at most every `everyMs` and re-read when it changed, as
 * mounted secrets rotate. A file that cannot be read, is empty or holds an unusable value keeps
 * the previous value, and says why once per change.
 */
export function rotatingSecret(o: RotatingOptions): RotatingSecret {
  const file = `${o.name}_FILE`;
  const what = o.name === "NVIDIA_API_KEY" ? "API key" : "bearer token";
  let value = o.initial;
  let stamp: string | undefined;
  let lastLook = Number.NEGATIVE_INFINITY;
  let rereadAt: number | undefined;
  let told: string | undefined;
  const keep = (problem: string): Recheck => {
    if (problem !== told) o.log.warn(`${file} changed but ${problem}; the previous ${what} is kept`);
    told = problem;
    return "kept";
  };
  const recheck = (): Recheck => {
    lastLook = o.now();
    let text: string;
    try {
      const now = o.fs.stamp(o.path);
      if (now === stamp) return told ? "kept" : "unchanged";
      stamp = now;
      text = o.fs.read(o.path).trim();
    } catch (err) {
      stamp = undefined;
      return keep(`cannot be read (${readErrorCode(err)})`);
    }
    const problems: string[] = [];
    if (!text) return keep("is empty");
    if (!checkSecret("content", text, problems)) return keep("its content is not printable ASCII without spaces");
    told = undefined;
    if (text === value) return "unchanged";
    value = text;
    rereadAt = o.now();
    o.log.info(`${file} changed: the new ${what} is used from now on`);
    return "changed";
  };
  return {
    get: () => {
      if (o.now() - lastLook >= o.everyMs) recheck();
      return value;
    },
    recheck,
    rereadAt: () => rereadAt,
  };
}
