/** The --help text: plain text for a terminal, generated from SETTINGS like the README table. */
import { settingDoc } from "./doc.ts";
import { SETTINGS } from "./settings.ts";

const WIDTH = 80;

/** `text` in lines of at most WIDTH columns (a longer word gets a line of its own), each indented. */
function wrap(text: string, indent: string): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent.length + line.length + 1 + word.length > WIDTH) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines.join("\n");
}

const INTRO = [
  "Every setting is an environment variable and also a flag (-cache-ttl 30s or --cache-ttl=30s); a flag wins over the variable.",
  "-h or --help prints this text; -v or --version prints the version.",
];

/** The one-shot commands (src/commands/): taken off the command line before the settings are read. */
const COMMANDS = [
  "Commands (instead of serving): --check makes one refresh with this configuration and prints what CLS sent and what the exporter understood of it, endpoint by endpoint (names and counts only, never a key, id or value); it binds no port and opens no database, so it runs beside a running exporter. Exit 0 when every call answered and every item was understood, 1 when not, 2 on a bad configuration.",
  "--capture DIR makes the same refresh and report, and writes every request and answer into DIR with identities scrubbed.",
  "--format json prints the report of either as JSON for scripts (default: --format text).",
  "--backup-history FILE writes a consistent copy of the SQLite history at DB_PATH into FILE (a new file, mode 0600), safe while the exporter runs; it reads only DB_PATH, needs no API key and calls no CLS. Exit 0 with one line saying what was written, 2 when FILE exists, its folder is missing or there is no history at DB_PATH, 1 when the copy failed.",
  "--migrate-history [URL] copies the SQLite history at DB_PATH (every org) into the PostgreSQL database at URL (postgres:// or postgresql://); without a value it reads DATABASE_URL, which keeps the password out of the process list. Idempotent and resumable (run it again after an interruption); refuses an org an exporter is writing in PostgreSQL right now or that holds history not copied from SQLite. Progress on stderr, one summary line on stdout; exit 0, 2 for a missing or non-PostgreSQL URL or no history at DB_PATH, 1 when the copy failed.",
];

const OUTRO =
  'With OTEL_ENABLED=true the standard OpenTelemetry variables (OTEL_EXPORTER_OTLP_* and OTEL_RESOURCE_ATTRIBUTES) are read as well: see the README section "Configuration".';

export function usage(): string {
  const settings = SETTINGS.map((s) => {
    const def = "default" in s ? ` (default ${s.default})` : "";
    return `  -${s.flag}  env ${s.env}${def}\n${wrap(settingDoc(s, "plain"), "      ")}`;
  });
  const paragraphs = [
    "Usage: npm start -- [flags]   (or, with Bun on the PATH: bun run src/index.ts [flags])",
    ...INTRO.map((p) => wrap(p, "")),
    COMMANDS.map((p) => wrap(p, "")).join("\n"),
    settings.join("\n"),
    wrap(OUTRO, ""),
  ];
  return `${paragraphs.join("\n\n")}\n`;
}
