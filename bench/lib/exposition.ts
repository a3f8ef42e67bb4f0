/** Reading the exporter's /metrics text: its series and its own counters. */

/** Counts the samples (not HELP/TYPE lines) whose name starts with `prefix` in an exposition body. */
export function countSeries(text: string, prefix = "nvidia_cls_"): number {
  let n = 0;
  for (const line of text.split("\n")) if (line.startsWith(prefix)) n++;
  return n;
}

const escapeRegExp = (name: string) => name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The value of the first sample of `name` (labelled or not); undefined when there is none. */
export function sampleOf(text: string, name: string): number | undefined {
  const m = new RegExp(`^${escapeRegExp(name)}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text);
  return m ? Number(m[1]) : undefined;
}

/** The values of the labelled samples of `name`, keyed by the value of `label` (summed when it repeats). */
export function byLabel(text: string, name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  const re = new RegExp(`^${escapeRegExp(name)}\\{([^}]*)\\} (\\S+)$`, "gm");
  for (const m of text.matchAll(re)) {
    const key = new RegExp(`(?:^|,)${escapeRegExp(label)}="([^"]*)"`).exec(m[1]!)?.[1] ?? "";
    out[key] = (out[key] ?? 0) + Number(m[2]);
  }
  return out;
}

/** The sum over the labelled samples of `name`. */
export function sumOf(text: string, name: string): number {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${escapeRegExp(name)}\\{[^}]*\\} (\\S+)$`, "gm"))) sum += Number(m[1]);
  return sum;
}
