import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");
const transpiler = new Bun.Transpiler({ loader: "ts" });

/** Every module reachable from `entry` through static imports (type-only imports are erased, as at run time). */
function staticGraph(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const visit = (file: string) => {
    if (graph.has(file)) return;
    const imports = transpiler
      .scanImports(readFileSync(file, "utf8"))
      .filter((i) => i.kind === "import-statement")
      .map((i) => i.path);
    graph.set(file, imports);
    for (const spec of imports) if (spec.startsWith(".") && spec.endsWith(".ts")) visit(resolve(dirname(file), spec));
  };
  visit(resolve(ROOT, entry));
  return graph;
}

test("the OpenTelemetry and gRPC packages load only when push is enabled (no static import reaches them)", () => {
  for (const entry of ["src/index.ts", "src/demo.ts"]) {
    const graph = staticGraph(entry);
    const offenders = [...graph].flatMap(([file, imports]) =>
      imports.filter((i) => /^@opentelemetry\/|^@grpc\//.test(i)).map((i) => `${file.slice(ROOT.length + 1)} → ${i}`),
    );
    expect(offenders).toEqual([]);
    expect([...graph.keys()].map((f) => f.slice(ROOT.length + 1))).not.toContain("src/otlp/load.ts");
    // The check sees the graph at all: the push module's static neighbours are there.
    expect([...graph.keys()].map((f) => f.slice(ROOT.length + 1))).toContain("src/context.ts");
  }
  // ...and the lazily loaded module does import them, so the check above has teeth.
  expect(staticGraph("src/otlp/load.ts").get(resolve(ROOT, "src/otlp/load.ts"))).toBeDefined();
  const dynamic = transpiler
    .scanImports(readFileSync(resolve(ROOT, "src/otlp/load.ts"), "utf8"))
    .filter((i) => i.kind === "dynamic-import")
    .map((i) => i.path);
  expect(dynamic).toContain("@opentelemetry/exporter-metrics-otlp-grpc");
});
