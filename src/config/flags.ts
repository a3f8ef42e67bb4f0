/** The command line: every setting's flag, and the two requests that are not settings (help, version). */
import { SETTINGS } from "./settings.ts";

/** A flag's value and the flag as it was typed ("-cache-ttl" or "--cache-ttl"), so problems name it that way. */
export interface FlagValue {
  value: string;
  typed: string;
}

/** Keyed by the variable name of the flag's setting. */
export type Flags = Record<string, FlagValue>;

type Token = { name: string; typed: string; value: string | undefined } | { positional: string };

const ENV_BY_FLAG: ReadonlyMap<string, string> = new Map(SETTINGS.map((s) => [s.flag, s.env]));

/**
 * `-flag`, `--flag`, `-flag=v` and `-flag v`; after `--` every argument is positional. A setting's
 * flag takes the next argument as its value even when it starts with a dash (a key may).
 */
function tokenize(argv: readonly string[]): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      out.push(...argv.slice(i + 1).map((a) => ({ positional: a })));
      break;
    }
    const m = /^(--?)([A-Za-z][\w.-]*)(?:=([\s\S]*))?$/.exec(arg);
    if (!m) {
      out.push({ positional: arg });
      continue;
    }
    const name = m[2]!;
    const value = m[3] ?? (ENV_BY_FLAG.has(name) && i + 1 < argv.length ? argv[++i] : undefined);
    out.push({ name, typed: `${m[1]}${name}`, value });
  }
  return out;
}

/** Flags beat env; the result keyed by env name. Every problem is pushed, so one bad flag hides no other. */
export function readFlags(argv: readonly string[], problems: string[]): Flags {
  const out: Flags = {};
  let stray = 0;
  for (const token of tokenize(argv)) {
    if ("positional" in token) stray++;
    else {
      const env = ENV_BY_FLAG.get(token.name);
      if (env === undefined) problems.push(`flags: unknown flag ${token.typed} (see --help)`);
      else if (token.value === undefined) problems.push(`${token.typed}: needs a value`);
      else out[env] = { value: token.value, typed: token.typed };
    }
  }
  // Never quoted: a stray argument is often a value (the key, even) after a mistyped flag.
  if (stray > 0) problems.push(`flags: ${stray} unexpected argument(s) that belong to no flag (values must follow their flag)`);
  return out;
}

const HELP = new Set(["h", "help"]);
const VERSION = new Set(["v", "version"]);

/** Whether the command line asks for the help text or the version rather than a run; help wins. */
export function cliRequest(argv: readonly string[]): "help" | "version" | undefined {
  const names = tokenize(argv).flatMap((t) => ("name" in t && !ENV_BY_FLAG.has(t.name) ? [t.name] : []));
  if (names.some((n) => HELP.has(n))) return "help";
  if (names.some((n) => VERSION.has(n))) return "version";
  return undefined;
}
