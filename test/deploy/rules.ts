import { readdirSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

/** deploy/prometheus, and what the tests read from it. */
export const RULES_DIR = new URL("../../deploy/prometheus/", import.meta.url).pathname;
export const RULE_FILES = ["recording-rules.yml", "alerts.yml"].map((f) => join(RULES_DIR, f));
export const TEST_FILES = readdirSync(join(RULES_DIR, "tests"))
  .filter((f) => f.endsWith(".yml"))
  .sort()
  .map((f) => join(RULES_DIR, "tests", f));

const Rule = z.union([
  z.object({ record: z.string(), expr: z.string() }).strict(),
  z
    .object({
      alert: z.string(),
      expr: z.string(),
      for: z.string().optional(),
      labels: z.record(z.string(), z.string()).optional(),
      annotations: z.record(z.string(), z.string()).optional(),
    })
    .strict(),
]);
const RuleFile = z.object({ groups: z.array(z.object({ name: z.string(), rules: z.array(Rule) })) });
export type AlertRule = Extract<z.infer<typeof Rule>, { alert: string }>;
export type RecordRule = Extract<z.infer<typeof Rule>, { record: string }>;

const AlertTest = z.object({ alertname: z.string(), eval_time: z.string(), exp_alerts: z.array(z.unknown()).optional() });
const TestFile = z.object({
  tests: z.array(
    z.object({
      alert_rule_test: z.array(AlertTest).optional(),
      promql_expr_test: z.array(z.object({ expr: z.string() })).optional(),
    }),
  ),
});
export type UnitTests = z.infer<typeof TestFile>;

const yaml = async (path: string): Promise<unknown> => Bun.YAML.parse(await Bun.file(path).text());

export async function loadRules(): Promise<{ alerts: AlertRule[]; records: RecordRule[] }> {
  const rules = (await Promise.all(RULE_FILES.map(async (f) => RuleFile.parse(await yaml(f))))).flatMap((f) =>
    f.groups.flatMap((g) => g.rules),
  );
  return {
    alerts: rules.filter((r): r is AlertRule => "alert" in r),
    records: rules.filter((r): r is RecordRule => "record" in r),
  };
}

export async function loadUnitTests(): Promise<UnitTests[]> {
  return Promise.all(TEST_FILES.map(async (f) => TestFile.parse(await yaml(f))));
}

/** A Markdown heading's anchor as GitHub makes it. */
export const anchorOf = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replaceAll(" ", "-");

export const headingsOf = (markdown: string): string[] => [...markdown.matchAll(/^#{1,6} (.+)$/gm)].map((m) => m[1]!);
