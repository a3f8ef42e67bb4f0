import { z } from "zod";
import { parseDuration } from "../duration.ts";
import { DEMAND_SCOPES } from "../snapshot/labels.ts";
import { HISTORY_KINDS, type HistoryFilter, type HistoryQuery, roundStep } from "../store/index.ts";

/** A parsed /history request: the store's query and the answer's format. */
export type HistoryRequest = HistoryQuery & { format: "json" | "csv" };

export interface BadQuery {
  parameter: string;
  message: string;
}

/**
 * About 500 points per series unless a step is given (grown by the store until the whole answer
 * fits); Prometheus' own per-series ceiling otherwise.
 */
const TARGET_POINTS = 500;
const MAX_POINTS_PER_SERIES = 11_000;
const MAX_RANGE_S = 3660 * 86_400;
const LAST_SECOND = 253_402_300_799; // 9999-12-31T23:59:59Z
const PARAMETERS = new Set(["from", "to", "step", "kind", "format", "virtual_group_id", "server_id", "feature_name", "scope"]);

/** `now`, `-24h`, `now-7d`, unix seconds, or RFC 3339; unix seconds out, undefined when unreadable. */
function parseTime(text: string, nowS: number): number | undefined {
  if (text === "now") return nowS;
  const relative = /^(?:now)?-(.+)$/.exec(text);
  if (relative) {
    const ms = parseDuration(relative[1]!);
    return ms === undefined ? undefined : nowS - Math.floor(ms / 1000);
  }
  if (/^\d{1,12}(\.\d+)?$/.test(text)) return Math.floor(Number(text));
  // An unencoded "+01:00" arrives as " 01:00"; RFC 3339 allows lower-case t and z.
  const iso = text.replace(/ (\d\d:\d\d)$/, "+$1").toUpperCase();
  if (!z.iso.datetime({ offset: true }).safeParse(iso).success) return undefined;
  return Math.floor(Date.parse(iso) / 1000);
}

const time = (nowS: number) =>
  z.string().transform((text, ctx) => {
    const t = parseTime(text, nowS);
    if (t === undefined)
      ctx.addIssue({
        code: "custom",
        message: `"${text}" is not a time: use RFC 3339 (2026-01-31T12:00:00Z), unix seconds, now, or a relative time such as -24h or now-7d`,
      });
    else if (t < 0 || t > LAST_SECOND) ctx.addIssue({ code: "custom", message: `"${text}" is outside 1970–9999` });
    return t ?? 0;
  });

const step = z.string().transform((text, ctx) => {
  const ms = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : parseDuration(text);
  if (ms === undefined) ctx.addIssue({ code: "custom", message: `"${text}" is not a duration: use e.g. 300, 5m, 1h, 1d` });
  else if (!(ms >= 1000)) ctx.addIssue({ code: "custom", message: `must be at least 1s, got "${text}"` });
  else if (!(ms <= MAX_RANGE_S * 1000)) ctx.addIssue({ code: "custom", message: `must be at most 3660d, got "${text}"` });
  return Math.floor((ms ?? 0) / 1000);
});

const filterValue = z.string().min(1, "must not be empty").max(256, "must be at most 256 characters");

function schema(nowS: number) {
  return z
    .object({
      from: time(nowS).optional(),
      to: time(nowS).optional(),
      step: step.optional(),
      kind: z.enum(HISTORY_KINDS, { error: `must be one of ${HISTORY_KINDS.join(", ")}` }).default("active_leases"),
      format: z.enum(["json", "csv"], { error: "must be json or csv" }).optional(),
      virtual_group_id: filterValue.optional(),
      server_id: filterValue.optional(),
      feature_name: filterValue.optional(),
      scope: z.enum(DEMAND_SCOPES, { error: `must be one of ${DEMAND_SCOPES.join(", ")}` }).optional(),
    })
    .superRefine((q, ctx) => {
      if (q.scope !== undefined && q.kind !== "feature_in_use")
        ctx.addIssue({
          code: "custom",
          path: ["scope"],
          message: "only kind=feature_in_use has scopes: add kind=feature_in_use or drop scope",
        });
      if (q.server_id !== undefined && q.kind === "feature_in_use")
        ctx.addIssue({
          code: "custom",
          path: ["server_id"],
          message: "demand is per virtual group or org, not per license server: drop server_id or use kind=active_leases",
        });
      if (q.server_id !== undefined && q.kind === "entitlement_in_use")
        ctx.addIssue({
          code: "custom",
          path: ["server_id"],
          message: "entitlements belong to no license server: drop server_id or use kind=active_leases or pool_in_use",
        });
    });
}

/** A smallest "round" step that gives at most TARGET_POINTS buckets over `rangeS`. */
const defaultStep = (rangeS: number) => roundStep(rangeS / TARGET_POINTS);

/** Validates /history's query string; every problem names its parameter. */
export function parseHistoryQuery(params: URLSearchParams, accept: string | undefined, nowS: number): HistoryRequest | BadQuery {
  const raw: Record<string, string> = {};
  for (const [name, value] of params) {
    if (!PARAMETERS.has(name)) return { parameter: name, message: `unknown parameter; known are ${[...PARAMETERS].join(", ")}` };
    if (name in raw) return { parameter: name, message: "given more than once" };
    raw[name] = value;
  }
  const parsed = schema(nowS).safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { parameter: String(issue.path[0] ?? "query"), message: issue.message };
  }
  const q = parsed.data;
  const from = q.from ?? (q.to ?? nowS) - 86_400;
  const to = q.to ?? nowS;
  if (from >= to) return { parameter: "from", message: "must be before to" };
  if (to - from > MAX_RANGE_S) return { parameter: "from", message: "the range is longer than 10 years" };
  const stepS = q.step ?? defaultStep(to - from);
  const points = Math.ceil((to - from) / stepS);
  if (points > MAX_POINTS_PER_SERIES)
    return {
      parameter: "step",
      message: `gives ${points} points per series, at most ${MAX_POINTS_PER_SERIES} are allowed: use a step of at least ${Math.ceil((to - from) / MAX_POINTS_PER_SERIES)}s`,
    };
  const format = q.format ?? (accept && /\btext\/csv\b/i.test(accept) ? "csv" : "json");
  const filter: HistoryFilter = {};
  for (const name of ["virtual_group_id", "server_id", "feature_name", "scope"] as const) if (q[name] !== undefined) filter[name] = q[name];
  // Without a step the store may grow the default one so that a large org's answer still fits.
  return { kind: q.kind, filter, from, to, step: stepS, ...(q.step === undefined ? { fitStep: true } : {}), format };
}
