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
    settings.join("\n"),
    wrap(OUTRO, ""),
  ];
  return `${paragraphs.join("\n\n")}\n`;
}
