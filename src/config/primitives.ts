/** The zod building blocks every setting is parsed with; their messages quote the value given. */
import { z } from "zod";
import { parseDuration } from "../duration.ts";

/** Settings as they arrive: variables, or flags keyed by their variable's name. */
export type Env = Record<string, string | undefined>;

/** How a problem names a setting: its flag as typed when it came from one, else its variable. */
export type Named = (env: string) => string;

export const HOUR_MS = 3_600_000;

/** Timers hold at most 2^31-1 ms (24.8 days); a longer one fires at once. */
const MAX_DURATION_MS = 596 * HOUR_MS;

export const duration = (min: number, max = MAX_DURATION_MS, maxText = "596h") =>
  z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) ctx.addIssue({ code: "custom", message: `"${text}" is not a duration (use e.g. 250ms, 20s, 5m, 1h30m, 8d)` });
    else if (ms < min)
      ctx.addIssue({ code: "custom", message: `must be at least ${min >= HOUR_MS ? `${min / HOUR_MS}h` : `${min}ms`}, got "${text}"` });
    else if (ms > max) ctx.addIssue({ code: "custom", message: `must be at most ${maxText}, got "${text}"` });
    return ms ?? 0;
  });

/** `what` names the unit in the error: "must be whole milliseconds from 1 to 600000". */
export const integer = (min: number, max: number, what = "a whole number") =>
  z.string().transform((text, ctx) => {
    const n = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!(n >= min && n <= max)) ctx.addIssue({ code: "custom", message: `must be ${what} from ${min} to ${max}, got "${text}"` });
    return n;
  });

const BYTE_UNITS: Record<string, number> = { "": 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30 };

/** A size: a whole number of bytes, or with a unit (kB, MB, GB, KiB, MiB, GiB; case-insensitive). */
export const byteSize = (min: number, max: number) =>
  z.string().transform((text, ctx) => {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
    const unit = m ? BYTE_UNITS[m[2]!.toLowerCase()] : undefined;
    const n = m && unit !== undefined ? Math.round(Number(m[1]) * unit) : Number.NaN;
    if (!(n >= min && n <= max))
      ctx.addIssue({ code: "custom", message: `must be a size from ${min} bytes to ${max / 2 ** 20} MiB (e.g. 64MiB), got "${text}"` });
    return n;
  });

export const nonEmpty = z.string().trim().min(1, { error: "must not be empty", abort: true });

/** One of `values`, trimmed and case-insensitive; `expected` says which in the error. */
export const oneOf = <T extends string>(values: readonly T[], expected: string) =>
  z.string().transform((text, ctx) => {
    const v = text.trim().toLowerCase();
    if (!(values as readonly string[]).includes(v)) ctx.addIssue({ code: "custom", message: `must be ${expected}, got "${text}"` });
    return v as T;
  });

export const bool = oneOf(["true", "false"], "true or false").transform((v) => v === "true");

/** The first of `names` that is set; blank counts as unset, as in the OTel SDKs. */
export function firstSet(env: Env, names: readonly string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return undefined;
}
