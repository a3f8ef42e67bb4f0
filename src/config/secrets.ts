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
