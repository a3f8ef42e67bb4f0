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

/**
 * A one-shot command instead of a run: one refresh, a report, an exit code (README "Checking your CLS
 * org"), or a copy of the history (README "Backing up the history").
 */
export type Command =
  | { name: "check"; format: "text" | "json" }
  | { name: "capture"; dir: string; format: "text" | "json" }
  | { name: "backup-history"; file: string }
  /** `url` undefined: DATABASE_URL is read (README "Moving the history to PostgreSQL"). */
  | { name: "migrate-history"; url: string | undefined };

/**
 * Takes the command flags out of the command line: `--check`, `--capture DIR`, `--format
 * text|json`, `--backup-history FILE` and `--migrate-history [URL]` (with one or two dashes, `=` or a separate value). What is left is read as settings, so a
 * command runs with the exporter's own configuration. A setting's value is never read as a command
 * flag (`-nvidia-api-key --check` sets the key). Problems are pushed, like readFlags does.
 */
export function splitCommand(argv: readonly string[], problems: string[]): { command: Command | undefined; rest: string[] } {
  const rest: string[] = [];
  let check = false;
  let capture: string | undefined;
  let format: string | undefined;
  let backup: string | undefined;
  let migrate: { url: string | undefined } | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      rest.push(...argv.slice(i));
      break;
    }
    const m = /^--?(check|capture|format|backup-history|migrate-history)(?:=([\s\S]*))?$/.exec(arg);
    if (!m) {
      rest.push(arg);
      const setting = /^--?([A-Za-z][\w.-]*)$/.exec(arg);
      if (setting && ENV_BY_FLAG.has(setting[1]!) && i + 1 < argv.length) rest.push(argv[++i]!);
      continue;
    }
    const [, name, inline] = m;
    if (name === "check") {
      if (inline !== undefined) problems.push(`${arg.split("=")[0]}: takes no value`);
      check = true;
      continue;
    }
    const value = inline ?? (i + 1 < argv.length && !argv[i + 1]!.startsWith("-") ? argv[++i] : undefined);
    if (name === "migrate-history") {
      // Without a value the URL comes from DATABASE_URL, which keeps its password out of the process list.
      if (value === "") problems.push(`--${name}: an empty URL (leave the value out to read DATABASE_URL)`);
      migrate = { url: value };
      continue;
    }
    if (value === undefined || value === "") problems.push(`--${name}: needs a value`);
    else if (name === "capture") capture = value;
    else if (name === "backup-history") backup = value;
    else format = value;
  }
  if (migrate && (check || capture !== undefined || backup !== undefined))
    problems.push("--migrate-history: not with --check, --capture or --backup-history (choose one command)");
  if (backup !== undefined && (check || capture !== undefined))
    problems.push("--backup-history: not with --check or --capture (it copies the history; they call CLS)");
  if (format !== undefined && format !== "text" && format !== "json") problems.push("--format: must be text or json");
  if (check && capture !== undefined) problems.push("--check and --capture: choose one (--capture reports what --check does)");
  if (format !== undefined && !check && capture === undefined) problems.push("--format: only with --check or --capture");
  const fmt = format === "json" ? "json" : "text";
  const command: Command | undefined = check
    ? { name: "check", format: fmt }
    : capture !== undefined
      ? { name: "capture", dir: capture, format: fmt }
      : backup !== undefined
        ? { name: "backup-history", file: backup }
        : migrate
          ? { name: "migrate-history", url: migrate.url }
          : undefined;
  return { command, rest };
}
