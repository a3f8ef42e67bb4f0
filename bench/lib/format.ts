/** How numbers read in the benchmarks' Markdown and progress lines. */

export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
/** Decimal megabytes, one decimal, without the unit (for table cells headed "MB"). */
export const megabytes = (bytes: number) => (bytes / 1e6).toFixed(1);
export const mb = (bytes: number) => `${megabytes(bytes)} MB`;
export const fixed = (x: number, digits = 2) => x.toFixed(digits);
/** Milliseconds with their unit. */
export const ms = (x: number, digits = 2) => `${x.toFixed(digits)} ms`;
/** A whole number with thousands separators. */
export const int = (n: number) => Math.round(n).toLocaleString("en-US");
/** One decimal, or "–" for a value that could not be measured (NaN, an empty window). */
export const oneDecimal = (x: number) => (Number.isFinite(x) ? fixed(x, 1) : "–");
/** A signed percentage: "+1.5 %", "-3.6 %". */
export const signedPercent = (x: number) => `${x >= 0 ? "+" : ""}${fixed(x * 100, 1)} %`;
/** Seconds as m:ss. */
export function minSec(seconds: number): string {
  const r = Math.round(seconds);
  return `${Math.floor(r / 60)}:${String(r % 60).padStart(2, "0")}`;
}
export const verdict = (ok: boolean) => (ok ? "PASS" : "MISS");
