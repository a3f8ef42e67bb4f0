import { parseArgs } from "node:util";
import { fullDoc, SETTINGS } from "./settings.ts";

type Env = Record<string, string | undefined>;

/** Flags beat env; the result keyed by env name. Accepts `-flag`, `--flag`, `-flag=v` and `-flag v`. */
export function readFlags(argv: readonly string[], problems: string[]): Env {
  const options = Object.fromEntries(SETTINGS.map((s) => [s.flag, { type: "string" as const }]));
  const args = doubleDashed(argv);
  // Not strict, so that one bad flag does not hide the other problems; we check what strict would.
  const { values, positionals } = parseArgs({ args, options, strict: false, allowPositionals: true });
  const known = new Map<string, string>(SETTINGS.map((s) => [s.flag, s.env]));
  const out: Env = {};
  for (const [flag, value] of Object.entries(values)) {
    const env = known.get(flag);
    if (env === undefined) problems.push(`flags: unknown flag -${flag} (see --help)`);
    else if (typeof value !== "string") problems.push(`${env}: flag -${flag} needs a value`);
    else out[env] = value;
  }
  // Never quoted: a stray argument is often a value (the key, even) after a mistyped flag.
  if (positionals.length > 0)
    problems.push(`flags: ${positionals.length} unexpected argument(s) that belong to no flag (values must follow their flag)`);
  return out;
}

/** `-flag` → `--flag` for node's parseArgs; a value that follows a flag is left as it is. */
function doubleDashed(argv: readonly string[]): string[] {
  let awaitingValue = false;
  return argv.map((arg) => {
    if (awaitingValue) {
      awaitingValue = false;
      return arg;
    }
    const m = /^--?([a-z][a-z0-9.-]*)(=.*)?$/.exec(arg);
    if (!m) return arg;
    awaitingValue = m[2] === undefined && SETTINGS.some((s) => s.flag === m[1]);
    return arg.startsWith("--") ? arg : `-${arg}`;
  });
}

/** `--help` text, generated like the README table. */
export function usage(): string {
  const lines = SETTINGS.map((s) => {
    const def = "default" in s ? ` (default ${s.default})` : "";
    return `  -${s.flag}  env ${s.env}${def}\n      ${fullDoc(s).replaceAll("`", "")}`;
  });
  return `Usage: bun run src/index.ts [flags]\n\nEvery flag may also be given as its environment variable; a flag wins.\n\n${lines.join("\n")}\n`;
}
