/** The PostgreSQL part of bench/history.ts in Markdown: the migration of the year, its size, and both engines side by side. */

import { fixed, int, mb, ms } from "../lib/format.ts";
import { median, quantile, sortedCopy } from "../lib/statistics.ts";
import type { DbFacts } from "./db-facts.ts";
import type { EngineFigures } from "./engines.ts";
import { PG_TABLES, type PgYear } from "./pg-year.ts";

export function reportPgYear(pg: PgYear, facts: DbFacts, days: number): void {
  const m = pg.migration;
  const s = pg.size;
  const tables = PG_TABLES.reduce((a, t) => a + s.tables[t], 0);
  console.log(`### The ${days}-day history on PostgreSQL (${pg.version.split(" on ")[0]}, ${pg.bin})\n`);
  console.log(
    "The server: test/pg/server.ts (initdb in a temporary folder, 127.0.0.1, fsync, synchronous_commit and full_page_writes off: no write waits for the disk, as SQLite's WAL with synchronous=NORMAL does not wait at a commit). Loaded with `bun run src/index.ts --migrate-history URL` (DB_PATH the year file) as its own process, then VACUUM ANALYZE (what autovacuum does on its own after a bulk load; run first, it does not compete with the measurements).\n",
  );
  console.log("| `--migrate-history` of the year | rows copied | series | wall time (spawn → exit) | rows/s |");
  console.log("|---|---|---|---|---|");
  console.log(
    `| ${m.summary.replace(/postgres:\/\/\S+\/(\w+):/, "$1:")} | ${int(m.rows)} | ${int(m.series)} | **${fixed(m.ms / 1000, 1)} s** | **${int(m.rows / (m.ms / 1000))}** |\n`,
  );
  console.log(`| size | SQLite (${int(facts.samples)} rows in \`samples\`) | PostgreSQL | PostgreSQL ÷ SQLite |`);
  console.log("|---|---|---|---|");
  const row = (label: string, lite: number, post: number) =>
    console.log(`| ${label} | ${mb(lite)} | **${mb(post)}** | ${fixed(post / lite, 2)} × |`);
  row("whole database (checkpointed file; `pg_database_size`)", facts.fileBytes, s.database);
  row("history tables (dbstat; `pg_total_relation_size` summed)", tableBytes(facts), tables);
  const samplesLite = facts.tables.filter((t) => t.name === "samples").reduce((a, t) => a + t.bytes, 0);
  row("`samples` (PostgreSQL: heap + primary-key index)", samplesLite, s.tables.samples);
  console.log(
    `\nOn PostgreSQL, \`samples\` (${int(s.samplesRows)} rows) is a heap of ${mb(s.samplesHeap)} (${fixed(s.samplesHeap / s.samplesRows, 0)} B per row) beside its (series_id, start) index of ${mb(s.samplesIndexes)}; the rest of the database (${mb(s.database - tables)}) is the catalogue an empty database has. ${PG_TABLES.map((t) => `${t} ${mb(s.tables[t])}`).join(", ")}.\n`,
  );
}

const tableBytes = (f: DbFacts) =>
  f.tables.filter((t) => !t.name.startsWith("sqlite_") && !t.name.startsWith("__drizzle")).reduce((a, t) => a + t.bytes, 0);

/** One row per figure, one column per engine measured, the ratio when both were. */
export function reportEngines(figures: EngineFigures[], days: number, requests: number, more: number): void {
  const [a, b] = figures;
  const both = a && b;
  console.log(
    `### ${figures.map((f) => f.engine).join(" and ")}, in-process${both ? ", one after the other in this run" : ""}\n\nThe store production opens, called as the routes call it: \`await store.query()\` of the /history query set of bench/history/query.ts (parsed by the route's parser) and \`await store.report()\` over ${days} days, ${requests} sequential calls after 10 warm-up ones (medians); then \`await store.record()\` of ${int(more)} further refreshes on top of the year (the fleet of the same seed, continuing 60 s after the year's last refresh; the first of them meets the fleet's plan from its start, more series opening and closing than usual).\n`,
  );
  console.log(`| figure | ${figures.map((f) => f.engine).join(" | ")} |${both ? ` ${b.engine} ÷ ${a.engine} |` : ""}`);
  console.log(`|---|${figures.map(() => "---|").join("")}${both ? "---|" : ""}`);
  const line = (label: string, pick: (f: EngineFigures) => number, digits = 2) =>
    console.log(
      `| ${label} | ${figures.map((f) => `**${ms(pick(f), digits)}**`).join(" | ")} |${both ? ` ${fixed(pick(b) / pick(a), 1)} × |` : ""}`,
    );
  const rec = (q: number) => (f: EngineFigures) => quantile(sortedCopy(f.recordMs), q);
  line("open the store (migrations check, load the open rows)", (f) => f.openMs, 1);
  line(`record() p50, ${int(more)} further refreshes`, rec(0.5), 3);
  line("record() p90", rec(0.9), 3);
  line("record() max", rec(1), 1);
  for (const [i, h] of (a?.history ?? []).entries())
    line(`/history p50, ${h.c.name} (${h.series} series)`, (f) => median(f.history[i]!.times));
  for (const [i, r] of (a?.reports ?? []).entries())
    line(`/report p50 over ${days} days, ${r.name}`, (f) => median(f.reports[i]!.times), 1);
  console.log(`\nStore write errors during the further refreshes: ${figures.map((f) => `${f.engine} ${f.writeErrors}`).join(", ")}.\n`);
}
