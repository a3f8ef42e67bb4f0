/**
 * Generates the README's configuration and metrics tables from src/config/settings.ts and the metric
 * catalogue. `bun run scripts/readme-tables.ts --write` updates README.md; test/readme.test.ts
 * fails when the README and the code drift apart.
 */

import { OTEL_STANDARD, renderDoc, SETTINGS, settingDoc } from "../src/config/index.ts";
import { CATALOG, LIVE_CATALOG } from "../src/render/catalog.ts";

const cell = (text: string) => text.replaceAll("|", "\\|");
const width = (text: string) => [...text].length;

/** A Markdown table with its columns padded to one width, as Markdown formatters leave it. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i]!))));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c + " ".repeat(widths[i]! - width(c))).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export function configTable(): string {
  const rows = SETTINGS.map((s) => [
    `\`${s.env}\``,
    `\`-${s.flag}\``,
    "default" in s ? `\`${s.default}\`` : "–",
    cell(settingDoc(s, "markdown")),
  ]);
  return table(["variable", "flag", "default", "meaning"], rows);
}

export function otelTable(): string {
  return table(
    ["variable", "meaning"],
    OTEL_STANDARD.map((s) => [`\`${s.env}\``, cell(renderDoc(s.doc, "markdown"))]),
  );
}

export function metricsTable(): string {
  const rows = [...CATALOG, ...LIVE_CATALOG].map((m) => [
    `\`${m.name}\``,
    m.type,
    m.labels.length ? m.labels.map((l) => `\`${l}\``).join(", ") : "–",
    cell(m.help),
  ]);
  return table(["metric", "type", "labels (besides `org_name`)", "meaning"], rows);
}
const BLOCKS = { config: configTable, otel: otelTable, metrics: metricsTable } as const;

/** README text with every generated block replaced by its current content. */
export function withTables(readme: string): string {
  let out = readme;
  for (const [name, make] of Object.entries(BLOCKS)) {
    const re = new RegExp(`(<!-- ${name}:start[^>]*-->\\n)[\\s\\S]*?(\\n<!-- ${name}:end -->)`);
    if (!re.test(out)) throw new Error(`README.md lacks the <!-- ${name}:start --> … <!-- ${name}:end --> markers`);
    out = out.replace(re, (_, a: string, b: string) => `${a}${make()}${b}`);
  }
  return out;
}

if (import.meta.main) {
  const path = new URL("../README.md", import.meta.url);
  const readme = await Bun.file(path).text();
  const updated = withTables(readme);
  if (process.argv.includes("--write")) await Bun.write(path, updated);
  else process.stdout.write(updated === readme ? "README tables are up to date\n" : "README tables are stale: run with --write\n");
}
