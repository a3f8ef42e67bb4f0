import { expect, test } from "bun:test";
import { withCauses } from "../../scripts/troubleshooting.ts";
import { headingsOf, loadRules } from "./rules.ts";

const doc = await Bun.file(new URL("../../TROUBLESHOOTING.md", import.meta.url)).text();
const readme = await Bun.file(new URL("../../README.md", import.meta.url)).text();

test("TROUBLESHOOTING.md's causes match src/snapshot/causes.ts (bun run scripts/troubleshooting.ts --write)", () => {
  expect(doc).toBe(withCauses(doc));
});

test("every alert has its section, and every alert section an alert", async () => {
  const { alerts } = await loadRules();
  const sections = [...doc.matchAll(/^### (\S+)$/gm)].map((m) => m[1]!);
  expect(sections.sort()).toEqual(alerts.map((a) => a.alert).sort());
});

test("every outcome a refresh's log line can have is explained", async () => {
  const source = await Bun.file(new URL("../../src/snapshot/refresh-log.ts", import.meta.url)).text();
  const messages = [...source.matchAll(/"(refresh [a-z ]+)"/g)].map((m) => m[1]!);
  expect(messages).toContain("refresh incomplete");
  for (const m of messages) expect(doc).toContain(`\`${m}\``);
});

test('every README section it names ("…") is a README heading', () => {
  const headings = new Set(headingsOf(readme));
  const prose = doc.replace(/```[\s\S]*?```/g, "");
  // A README item that is no heading is named as `its "…" item`.
  const named = [...prose.matchAll(/(?<!its )"([A-Z][^"]*)"/g)].map((m) => m[1]!.replace(/\s+/g, " "));
  expect(named.length).toBeGreaterThan(10);
  for (const n of named) expect(headings).toContain(n);
});
