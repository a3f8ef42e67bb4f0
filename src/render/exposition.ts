import type { Sample } from "./catalog.ts";

/**
 * The Prometheus text (0.0.4) and OpenMetrics (1.0.0) expositions, written straight from samples.
 * The bytes are exactly what prom-client 15.1.3's Registry printed for the same families (escaping,
 * number spelling, label order, one sample per label set, family separators): dashboards, recording
 * rules and test/render/exposition.test.ts, which compares both byte for byte, depend on it. A
 * registry per snapshot built a labels copy, a hash string and a value object per series before
 * writing a line: tens of MB of garbage per render at 17,000 series (BENCHMARKS.md (c)).
 */
export type Format = "text" | "openmetrics";

export const CONTENT_TYPES: Record<Format, string> = {
  text: "text/plain; version=0.0.4; charset=utf-8",
  openmetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8",
};

export const EOF_LINE = "# EOF\n";

export interface Family {
  name: string;
  help: string;
  type: "gauge" | "counter";
  labels: readonly string[];
}

type Labels = Sample["labels"];

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** HELP text: backslash and newline escaped, quotes kept. */
function escapeText(s: string): string {
  return /[\\\n]/.test(s) ? s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n") : s;
}

function escapeLabelValue(value: unknown): unknown {
  if (typeof value !== "string" || !/[\\\n"]/.test(value)) return value;
  return escapeText(value).replace(/"/g, '\\"');
}

/** prom-client spells NaN "Nan"; kept, since Prometheus reads it with Go's ParseFloat, which ignores case. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "Nan";
  if (!Number.isFinite(value)) return value < 0 ? "-Inf" : "+Inf";
  return `${value}`;
}

/** The same family definition errors a prom-client metric constructor threw. */
function checkFamily(family: Family): void {
  if (!family.help) throw new Error(`${family.name}: missing mandatory help parameter`);
  if (!METRIC_NAME.test(family.name)) throw new Error(`invalid metric name ${JSON.stringify(family.name)}`);
  if (!family.labels.every((l) => LABEL_NAME.test(l))) throw new Error(`${family.name}: invalid label name`);
}

function checkSample(family: Family, names: ReadonlySet<string>, labels: Labels, value: number): void {
  for (const key in labels) {
    if (!names.has(key)) throw new Error(`${family.name}: label "${key}" is not one of ${family.labels.join(", ") || "(none)"}`);
  }
  if (typeof value !== "number") throw new TypeError(`${family.name}: value is not a valid number: ${value}`);
  if (family.type === "counter" && value && !Number.isFinite(value)) throw new TypeError(`${family.name}: value is not finite: ${value}`);
  if (family.type === "counter" && value < 0) throw new Error(`${family.name}: a counter cannot decrease`);
}

/** prom-client's identity of a label set: the defined values, by sorted label name. */
function labelKey(sortedNames: readonly string[], labels: Labels): string {
  let key = "";
  for (const name of sortedNames) {
    const value = labels[name];
    if (value !== undefined) key += `${name}:${value},`;
  }
  return key;
}

/** One sample per label set, in first-seen order: a gauge keeps the last value and labels, a counter sums into the first. */
function collect(family: Family, rows: Iterable<Sample>): Sample[] {
  const names = new Set(family.labels);
  const sortedNames = [...family.labels].sort();
  const index = new Map<string, number>();
  const samples: Sample[] = [];
  for (const { labels, value } of rows) {
    checkSample(family, names, labels, value);
    const key = labelKey(sortedNames, labels);
    const i = index.get(key);
    if (i === undefined) {
      index.set(key, samples.length);
      samples.push({ labels, value });
    } else if (family.type === "counter") samples[i] = { labels: samples[i]!.labels, value: samples[i]!.value + value };
    else samples[i] = { labels, value };
  }
  return samples;
}

/** The sample's own labels in their order, then the default labels it does not set itself. */
function sampleLine(name: string, labels: Labels, defaults: Labels, value: number): string {
  let inner = "";
  for (const key of Object.keys(labels)) inner += `${inner ? "," : ""}${key}="${escapeLabelValue(labels[key])}"`;
  for (const key of Object.keys(defaults)) {
    if (!Object.hasOwn(labels, key)) inner += `${inner ? "," : ""}${key}="${escapeLabelValue(defaults[key])}"`;
  }
  return `${name}${inner ? `{${inner}}` : ""} ${formatValue(value)}`;
}

/** HELP, TYPE and sample lines joined by newlines; undefined for a family without samples. */
function familyText(family: Family, rows: Iterable<Sample>, format: Format, defaults: Labels): string | undefined {
  const samples = collect(family, rows);
  if (samples.length === 0) return undefined;
  checkFamily(family);
  // OpenMetrics names a counter family without `_total` and every sample with it.
  const counter = format === "openmetrics" && family.type === "counter";
  const name = counter ? family.name.replace(/_total$/, "") : family.name;
  const sampleName = counter ? `${name}_total` : name;
  const lines = [`# HELP ${name} ${escapeText(family.help)}`, `# TYPE ${name} ${family.type}`];
  for (const s of samples) lines.push(sampleLine(sampleName, s.labels, defaults, s.value));
  return lines.join("\n");
}

/**
 * One exposition, piece by piece, without OpenMetrics' final `# EOF` (the caller appends sections
 * and then the EOF). Families without samples are left out: a bare HELP/TYPE pair is noise for
 * every reader. `defaults` go on every sample that does not set them itself.
 */
export function* expositionChunks(
  families: Iterable<readonly [Family, Iterable<Sample>]>,
  format: Format,
  defaults: Labels = {},
): Generator<string> {
  const seen = new Set<string>();
  for (const [family, rows] of families) {
    const text = familyText(family, rows, format, defaults);
    if (text === undefined) continue;
    if (seen.has(family.name)) throw new Error(`metric ${family.name} is defined twice`);
    // Text separates families by a blank line, OpenMetrics does not.
    yield seen.size === 0 ? text : format === "text" ? `\n\n${text}` : `\n${text}`;
    seen.add(family.name);
  }
  yield "\n";
}

export function exposition(families: Iterable<readonly [Family, Iterable<Sample>]>, format: Format, defaults?: Labels): string {
  return [...expositionChunks(families, format, defaults)].join("");
}
