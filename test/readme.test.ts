import { expect, test } from "bun:test";
import { withTables } from "../scripts/readme-tables.ts";
import { OTEL_STANDARD, SETTINGS } from "../src/config/index.ts";

const readme = await Bun.file(new URL("../README.md", import.meta.url)).text();

test("README tables match src/config/settings.ts and the metric catalogue (bun run scripts/readme-tables.ts --write)", () => {
  expect(readme).toBe(withTables(readme));
});

test(".env.example names every setting", async () => {
  const example = await Bun.file(new URL("../.env.example", import.meta.url)).text();
  for (const s of [...SETTINGS, ...OTEL_STANDARD]) expect(example).toContain(s.env);
});

test(".env.example shows each setting's default as its default", async () => {
  const example = await Bun.file(new URL("../.env.example", import.meta.url)).text();
  const shown = new Map([...example.matchAll(/^# ([A-Z_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
  for (const s of SETTINGS) if ("default" in s && shown.has(s.env)) expect(`${s.env}=${shown.get(s.env)}`).toBe(`${s.env}=${s.default}`);
});

test("the README's two quick-start commands are the package scripts", async () => {
  const pkg = await Bun.file(new URL("../package.json", import.meta.url)).json();
  expect(readme).toContain("npm run demo");
  expect(readme).toContain("npm test");
  expect(pkg.scripts.demo).toBe("sh scripts/dev.sh demo");
  expect(pkg.scripts.test).toBe("sh scripts/dev.sh test");
});

test("the image ships what the process reads at run time and a writable history folder", async () => {
  const dockerfile = await Bun.file(new URL("../Dockerfile", import.meta.url)).text();
  expect(dockerfile).toContain("COPY src ./src");
  expect(dockerfile).toContain("COPY migrations ./migrations");
  expect(dockerfile).toContain("COPY patches ./patches");
  expect(dockerfile).toMatch(/chown bun:bun \/app\/data/);
  const ignored = (await Bun.file(new URL("../.dockerignore", import.meta.url)).text()).split("\n");
  expect(ignored).not.toContain("migrations");
  expect(ignored).not.toContain("patches");
});
