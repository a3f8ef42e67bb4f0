/**
 * Runs the dashboard's queries the way Grafana would against a Prometheus: the variables resolved
 * in order (each may use the ones before it), then every panel query substituted and run as a range
 * query (or instant, when its target says so).
 */
import type { Prometheus } from "../integration/prom.ts";
import {
  type Dashboard,
  type PanelQuery,
  panelQueries,
  parseLabelValues,
  queryVariablesOf,
  regexValue,
  substitute,
  unsubstituted,
} from "./grafana-dashboard.ts";

/** A 60 s dashboard range at a 1 s step; the test's Prometheus scrapes every second. */
export const RANGE_SECONDS = 60;
/**
 * Grafana's built-ins for that range: $__interval is the step, $__rate_interval is
 * max($__interval + scrape interval, 4 × scrape interval) with the datasource's 1 s scrape interval.
 */
export const BUILT_INS: Record<string, string> = {
  __interval: "1s",
  __rate_interval: "4s",
  __range: `${RANGE_SECONDS}s`,
  __range_s: String(RANGE_SECONDS),
};

export type Selection = "all" | "first";

export interface Resolved {
  /** Each query variable's values as its label_values query found them. */
  options: Record<string, string[]>;
  /** What each variable is replaced with in queries. */
  values: Record<string, string>;
}

/** Resolves the query variables in order: "all" selects All (allValue), "first" the first option. */
export async function resolveVariables(prom: Prometheus, d: Dashboard, selection: Selection): Promise<Resolved> {
  const options: Record<string, string[]> = {};
  const values: Record<string, string> = { ...BUILT_INS };
  for (const v of queryVariablesOf(d)) {
    const query = substitute(v.query.query, values);
    const left = unsubstituted(query);
    if (left.length) throw new Error(`variable ${v.name}: ${left.join(", ")} left unsubstituted in ${query}`);
    const { selector, label } = parseLabelValues(query);
    const found = await prom.api<string[]>(`/api/v1/label/${label}/values?match[]=${encodeURIComponent(selector)}`);
    options[v.name] = [...found].sort();
    if (!found.length) throw new Error(`variable ${v.name} has no values: ${query}`);
    values[v.name] = selection === "all" ? v.allValue! : regexValue(options[v.name]![0]!);
  }
  return { options, values };
}

export interface Series {
  metric: Record<string, string>;
  /** The last value (instant: the value). */
  value: number;
}

export interface Ran extends PanelQuery {
  /** The query as sent. */
  sent: string;
  series: Series[];
}

async function run(prom: Prometheus, expr: string, instant: boolean, now: number): Promise<Series[]> {
  if (instant) return (await prom.query(expr)).map((s) => ({ metric: s.metric, value: Number(s.value[1]) }));
  const q = new URLSearchParams({ query: expr, start: String(now - RANGE_SECONDS), end: String(now), step: BUILT_INS.__interval! });
  const data = await prom.api<{ result: { metric: Record<string, string>; values: [number, string][] }[] }>(`/api/v1/query_range?${q}`);
  return data.result.map((s) => ({ metric: s.metric, value: Number(s.values.at(-1)?.[1]) }));
}

/** Every panel query, substituted and run; throws on a variable left unsubstituted or a query error. */
export async function runPanelQueries(prom: Prometheus, d: Dashboard, values: Record<string, string>): Promise<Ran[]> {
  const now = Date.now() / 1000;
  return Promise.all(
    panelQueries(d).map(async (q) => {
      const sent = substitute(q.expr, values);
      const left = unsubstituted(sent);
      if (left.length) throw new Error(`${q.name}: ${left.join(", ")} left unsubstituted in ${sent}`);
      const series = await run(prom, sent, q.instant, now).catch((err: Error) => {
        throw new Error(`${q.name}: ${err.message}\n  ${sent}`);
      });
      return { ...q, sent, series };
    }),
  );
}
