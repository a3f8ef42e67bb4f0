import { z } from "zod";
import { parseDuration } from "../duration.ts";
import { HISTORY_KINDS, type HistoryFilter, type HistoryQuery, roundStep } from "../store/index.ts";
import {
  type BadQuery,
  badQueryOf,
  filterValue,
  format,
  formatOf,
  isBad,
  MAX_RANGE_S,
  rangeOf,
  readParameters,
  scope,
  time,
} from "./query-grammar.ts";

/** A parsed /history request: the store's query and the answer's format. */
export type HistoryRequest = HistoryQuery & { format: "json" | "csv" };

/**
 * About 500 points per series unless a step is given (grown by the store until the whole answer
 * fits); Prometheus' own per-series ceiling otherwise.
 */
const TARGET_POINTS = 500;
const MAX_POINTS_PER_SERIES = 11_000;
const PARAMETERS = new Set(["from", "to", "step", "kind", "format", "virtual_group_id", "server_id", "feature_name", "scope"]);

const step = z.string().transform((text, ctx) => {
  const ms = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : parseDuration(text);
  if (ms === undefined) ctx.addIssue({ code: "custom", message: `"${text}" is not a duration: use e.g. 300, 5m, 1h, 1d` });
  else if (!(ms >= 1000)) ctx.addIssue({ code: "custom", message: `must be at least 1s, got "${text}"` });
  else if (!(ms <= MAX_RANGE_S * 1000)) ctx.addIssue({ code: "custom", message: `must be at most 3660d, got "${text}"` });
  return Math.floor((ms ?? 0) / 1000);
});

function schema(nowS: number) {
  return z
    .object({
      from: time(nowS).optional(),
      to: time(nowS).optional(),
      step: step.optional(),
      kind: z.enum(HISTORY_KINDS, { error: `must be one of ${HISTORY_KINDS.join(", ")}` }).default("active_leases"),
      format: format.optional(),
      virtual_group_id: filterValue.optional(),
      server_id: filterValue.optional(),
      feature_name: filterValue.optional(),
      scope: scope.optional(),
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
  const raw = readParameters(params, PARAMETERS);
  if (isBad(raw)) return raw;
  const parsed = schema(nowS).safeParse(raw.values);
  if (!parsed.success) return badQueryOf(parsed.error);
  const q = parsed.data;
  const range = rangeOf(q.from, q.to, nowS, 86_400);
  if (isBad(range)) return range;
  const { from, to } = range;
  const stepS = q.step ?? defaultStep(to - from);
  const points = Math.ceil((to - from) / stepS);
  if (points > MAX_POINTS_PER_SERIES)
    return {
      parameter: "step",
      message: `gives ${points} points per series, at most ${MAX_POINTS_PER_SERIES} are allowed: use a step of at least ${Math.ceil((to - from) / MAX_POINTS_PER_SERIES)}s`,
    };
  const filter: HistoryFilter = {};
  for (const name of ["virtual_group_id", "server_id", "feature_name", "scope"] as const) if (q[name] !== undefined) filter[name] = q[name];
  // Without a step the store may grow the default one so that a large org's answer still fits.
  return {
    kind: q.kind,
    filter,
    from,
    to,
    step: stepS,
    ...(q.step === undefined ? { fitStep: true } : {}),
    format: formatOf(q.format, accept),
  };
}
