/**
 * deploy/grafana/dashboards/nvidia-cls.json as the tests read it: the shape Grafana needs to import
 * it, every PromQL query it holds (panels, the panels nested in collapsed rows, and the template
 * variables), and Grafana's variable substitution.
 */
import { z } from "zod";

export const DASHBOARD_PATH = new URL("../../deploy/grafana/dashboards/nvidia-cls.json", import.meta.url).pathname;

/** The only datasource reference allowed: the dashboard's `datasource` variable. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JavaScript template.
export const DATASOURCE_REF = { type: "prometheus", uid: "${datasource}" };

const GridPos = z.strictObject({
  x: z.number().int().min(0).max(23),
  y: z.number().int().min(0),
  w: z.number().int().min(1).max(24),
  h: z.number().int().min(1),
});
const DatasourceRef = z.strictObject({ type: z.literal("prometheus"), uid: z.literal(DATASOURCE_REF.uid) });
const Target = z.looseObject({
  refId: z.string().min(1),
  expr: z.string().min(1),
  datasource: DatasourceRef,
  instant: z.boolean().optional(),
});
const Panel = z.looseObject({
  id: z.number().int().positive(),
  type: z.string().min(1),
  title: z.string().min(1),
  gridPos: GridPos,
  datasource: DatasourceRef,
  targets: z.array(Target).min(1),
});
const Row = z.looseObject({
  id: z.number().int().positive(),
  type: z.literal("row"),
  title: z.string().min(1),
  collapsed: z.boolean(),
  gridPos: GridPos,
  panels: z.array(Panel),
});
const QueryVariable = z.looseObject({
  name: z.string().regex(/^\w+$/),
  type: z.literal("query"),
  datasource: DatasourceRef,
  query: z.looseObject({ query: z.string().min(1) }),
  multi: z.boolean(),
  includeAll: z.boolean(),
  allValue: z.string().optional(),
});
const DatasourceVariable = z.looseObject({ name: z.literal("datasource"), type: z.literal("datasource"), query: z.literal("prometheus") });
export const Dashboard = z.looseObject({
  uid: z.string().regex(/^[\w-]{1,40}$/),
  title: z.string().min(1),
  schemaVersion: z.number().int().min(39),
  panels: z.array(z.union([Row, Panel])).min(1),
  templating: z.looseObject({ list: z.array(z.union([DatasourceVariable, QueryVariable])) }),
});
export type Dashboard = z.infer<typeof Dashboard>;
export type Panel = z.infer<typeof Panel>;
export type QueryVariable = z.infer<typeof QueryVariable>;

export async function loadDashboard(): Promise<Dashboard> {
  return Dashboard.parse(await Bun.file(DASHBOARD_PATH).json());
}

/** Every panel that queries, nested ones included (a row's own entry is not one). */
export function panelsOf(d: Dashboard): Panel[] {
  return d.panels.flatMap((p) => ("collapsed" in p && p.type === "row" ? (p as z.infer<typeof Row>).panels : [p as Panel]));
}

export function queryVariablesOf(d: Dashboard): QueryVariable[] {
  return d.templating.list.filter((v): v is QueryVariable => v.type === "query");
}

export interface PanelQuery {
  /** `panel title / refId`, as the test names it. */
  name: string;
  panel: string;
  expr: string;
  /** Grafana runs it as an instant query (tables, stats), else as a range query. */
  instant: boolean;
}

export function panelQueries(d: Dashboard): PanelQuery[] {
  return panelsOf(d).flatMap((p) =>
    p.targets.map((t) => ({ name: `${p.title} / ${t.refId}`, panel: p.title, expr: t.expr, instant: t.instant === true })),
  );
}

/** `label_values(selector, label)` of a Prometheus variable query. */
export function parseLabelValues(query: string): { selector: string; label: string } {
  const m = /^label_values\((.+),\s*(\w+)\)$/s.exec(query.trim());
  if (!m) throw new Error(`not a label_values(selector, label) query: ${query}`);
  return { selector: m[1]!.trim(), label: m[2]! };
}

/**
 * Grafana's substitution of `$name`, `${name}`, `${name:format}` and `[[name]]`. A name without a
 * value is left as written, so `unsubstituted` finds it. `$1` (a PromQL label_replace reference)
 * is no variable.
 */
export function substitute(expr: string, values: Record<string, string>): string {
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\$([A-Za-z_]\w*)|\[\[(\w+)\]\]/g, (whole, a, b, c) => values[a ?? b ?? c] ?? whole);
}

/** What is left of a variable after substitution (empty when none). */
export function unsubstituted(expr: string): string[] {
  return [...expr.matchAll(/\$(?!\d)\S*|\[\[\w+\]\]/g)].map((m) => m[0]);
}

/** A multi-value variable with one value selected, as Grafana renders it for Prometheus: regex-escaped. */
export const regexValue = (value: string): string => value.replace(/[\\^$.|?*+()[\]{}]/g, "\\$&");
