/**
 * Generates the README's configuration and metrics tables from src/settings.ts and the metric
 * catalogue. `bun run scripts/readme-tables.ts --write` updates README.md; test/readme.test.ts
 * fails when the README and the code drift apart.
 */

import { CATALOG, LIVE_CATALOG } from "../src/render/catalog.ts";
import { fullDoc, OTEL_STANDARD, SETTINGS } from "../src/settings.ts";
import { formatMarkdown } from "./markdown.ts";

const cell = (text: string) => text.replaceAll("|", "\\|");

export function configTable(): string {
  const rows = SETTINGS.map(
    (s) => `| \`${s.env}\` | \`-${s.flag}\` | ${"default" in s ? `\`${s.default}\`` : "–"} | ${cell(fullDoc(s))} |`,
  );
  return ["| variable | flag | default | meaning |", "|---|---|---|---|", ...rows].join("\n");
}

export function otelTable(): string {
  const rows = OTEL_STANDARD.map((s) => `| \`${s.env}\` | ${cell(s.doc)} |`);
  return ["| variable | meaning |", "|---|---|", ...rows].join("\n");
}

export function metricsTable(): string {
  const rows = [...CATALOG, ...LIVE_CATALOG].map(
    (m) => `| \`${m.name}\` | ${m.type} | ${m.labels.length ? m.labels.map((l) => `\`${l}\``).join(", ") : "–"} | ${cell(m.help)} |`,
  );
  return ["| metric | type | labels (besides `org_name`) | meaning |", "|---|---|---|---|", ...rows].join("\n");
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
  return formatMarkdown(out, "README.md");
}

if (import.meta.main) {
  const path = new URL("../README.md", import.meta.url);
  const readme = await Bun.file(path).text();
  const updated = withTables(readme);
  if (process.argv.includes("--write")) await Bun.write(path, updated);
  else process.stdout.write(updated === readme ? "README tables are up to date\n" : "README tables are stale: run with --write\n");
}
