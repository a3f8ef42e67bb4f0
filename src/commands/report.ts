import { MAX_NAMES_PER_KIND } from "../cls/fields.ts";
import type { Snapshot } from "../snapshot/types.ts";
import type { DiagnosisCollector } from "./collector.ts";
import { type Diagnosis, diagnose, type EndpointDiagnosis, type NamesByKind } from "./diagnosis.ts";

/*
 * The diagnosis as a person reads it (aligned, short) or as a script does (`--format json`). Every
 * name in it came from CLS, so no character that steers a terminal (C0/C1 controls, bidirectional
 * overrides) is printed as is: each is shown as an escape, in both formats.
 */

export type ReportFormat = "text" | "json";

/** The report of one refresh heard by `collector`: what --check prints and --capture prints too. */
export function diagnosisReport(collector: DiagnosisCollector, snapshot: Snapshot, format: ReportFormat): string {
  const d = diagnose(collector, snapshot);
  return format === "json" ? `${escapeJson(JSON.stringify(d))}\n` : textOf(d);
}

/** Controls (C0, DEL, C1), format characters (bidirectional overrides, zero-width ones) and line/paragraph separators. */
const STEERING = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;
/** Each UTF-16 unit as \uXXXX: valid in JSON strings, and readable in text. */
const escaped = (c: string) => [...Array(c.length).keys()].map((i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, "0")}`).join("");

/** `s` with every character that could steer a terminal shown as `\uXXXX`. */
export const printable = (s: string): string => s.replace(STEERING, escaped);
/** JSON.stringify escapes C0 controls; the others become \uXXXX escapes too, which JSON reads back as the same string. */
const escapeJson = (json: string): string => json.replace(STEERING, escaped);

const COLUMNS = ["endpoint", "calls", "retries", "failed", "pages", "paging", "items", "skipped", "unreadable", "latency ms"] as const;

function tableRow(e: EndpointDiagnosis): string[] {
  const latency = e.latencyMs ? `${e.latencyMs.median} / ${e.latencyMs.max}` : "-";
  return [e.endpoint, e.calls, e.retries, e.failedParts, e.pages, e.paging.shape, e.items, e.skipped, e.unreadable, latency].map(String);
}

/** Columns padded to their widest cell; the name columns left-aligned, the counts right-aligned. */
function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const left = new Set([0, 5]);
  return rows.map((r) =>
    r
      .map((cell, i) => (left.has(i) ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join("  ")
      .trimEnd(),
  );
}

const counts = (byName: Record<string, number>) =>
  Object.entries(byName)
    .map(([name, n]) => `${printable(name)} ${n}`)
    .join(", ");

function namesLines(title: string, byKind: NamesByKind): string[] {
  const kinds = Object.entries(byKind);
  if (kinds.length === 0) return [];
  return [`  ${title}:`, ...kinds.map(([kind, names]) => `    ${printable(kind)}: ${names.map(printable).join(", ")}`)];
}

function detailLines(e: EndpointDiagnosis): string[] {
  const lines = [`${e.endpoint}`];
  if (Object.keys(e.outcomes).length > 0)
    lines.push(
      `  attempts by outcome: ${Object.entries(e.outcomes)
        .map(([o, n]) => `${printable(o)} ×${n}`)
        .join(", ")}`,
    );
  if (e.items > 0) lines.push(`  items: ${counts(e.itemsByKind)}`);
  const p = e.paging;
  if (p.shape !== "none") {
    const unrecognised = p.unrecognised.length > 0 ? `; not recognised: ${p.unrecognised.map(printable).join(", ")}` : "";
    lines.push(`  paging members: ${p.recognised.join(", ") || "-"}${unrecognised}`);
  }
  if (e.unreadable > 0) lines.push(`  unreadable fields: ${counts(e.unreadableByReason)}`);
  lines.push(
    ...namesLines("sent, not read (not in NVIDIA's reference)", e.unread.unknown),
    ...namesLines("sent, not read (documented)", e.unread.documented),
    ...namesLines("documented, never sent", e.neverSent),
  );
  if (e.namesPastBound.length > 0)
    lines.push(`  more than ${MAX_NAMES_PER_KIND} names, the rest not listed: ${e.namesPastBound.map(printable).join(", ")}`);
  if (p.pastBound > 0) lines.push(`  paging: ${p.pastBound} more member name(s) past ${MAX_NAMES_PER_KIND}, not listed`);
  if (e.kindsNotSeen.length > 0) lines.push(`  no object seen of: ${e.kindsNotSeen.map(printable).join(", ")}`);
  return lines;
}

function verdictLines(d: Diagnosis): string[] {
  if (d.exitCode === 0) return ["Verdict: OK, every call answered and every item understood (exit 0)."];
  const causes = d.causes.map((c) => {
    const what = `${c.endpoint} ${c.reason} (${c.parts} ${c.reason === "invalid_items" ? "item(s)" : "part(s)"})`;
    return `  - ${printable(what)}${c.hint ? `: ${c.hint}` : ""}`;
  });
  return ["Verdict: PROBLEMS (exit 1)", ...causes];
}

function textOf(d: Diagnosis): string {
  const lines = [
    `CLS check (report version ${d.version}): names and counts only, no value CLS sent.`,
    "",
    ...table([[...COLUMNS], ...d.endpoints.map(tableRow)]),
    "(failed: parts not fetched; latency: median / max of every attempt)",
    "",
    ...d.endpoints.flatMap((e) => [...detailLines(e), ""]),
    ...verdictLines(d),
  ];
  return `${lines.join("\n")}\n`;
}
