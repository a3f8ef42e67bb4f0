/**
 * Go-style durations ("250ms", "20s", "1h30m"), the format Prometheus exporters use for flags.
 * Strict on purpose: a bare number or "1 hour" is rejected, never guessed at.
 */
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

const WHOLE = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;

/** Milliseconds, or undefined when `text` is not a Go duration. */
export function parseDuration(text: string): number | undefined {
  if (!WHOLE.test(text)) return undefined;
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(PART)) ms += Number(amount) * (UNIT_MS[unit!] ?? 0);
  return ms;
}

/** The shortest Go-style spelling of whole milliseconds, for help texts and logs. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  if (ms % 1_000 !== 0) return `${ms}ms`;
  let s = ms / 1_000;
  const h = Math.floor(s / 3_600);
  s -= h * 3_600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h ? `${h}h` : ""}${m ? `${m}m` : ""}${s ? `${s}s` : ""}`;
}
