/**
 * `npm run build`: the exporter as one standalone executable (Bun and every dependency, the SQL
 * migrations and the status page's assets inside), for machines without Bun: `bun build --compile`
 * through Bun.build, which also takes the one plugin the OTLP exporter needs (below).
 *
 *   bun run scripts/build.ts [--target=bun-linux-arm64] [--outfile=dist/name]
 *
 * Without --target it is built for this machine into dist/nvidia-license-server-exporter; with one
 * (bun-linux-x64, bun-linux-arm64, bun-linux-x64-musl, bun-darwin-arm64, bun-windows-x64, …) into
 * dist/nvidia-license-server-exporter-<target> — Bun fetches that platform's runtime the first
 * time. The binary's --version and nvidia_cls_exporter_build_info report the git revision it was
 * built from: GIT_REVISION when set, else `git rev-parse` (with "-dirty" for uncommitted changes).
 */
import { rmSync, statSync } from "node:fs";
import { z } from "zod";

const NAME = "nvidia-license-server-exporter";
const ENTRY = "src/index.ts";

const Args = z.object({
  target: z
    .string()
    .regex(/^bun-[a-z0-9-]+$/, "a Bun compile target such as bun-linux-arm64")
    .optional(),
  outfile: z.string().min(1).optional(),
});

/** Short enough for a label, and only characters that need no quoting anywhere it is shown. */
const Revision = z.string().regex(/^[\w.+-]{1,64}$/, "letters, digits, . _ + - only, at most 64");

function parseArgs(argv: string[]): z.infer<typeof Args> {
  const pairs = argv.map((a) => {
    const m = /^--(target|outfile)=(.+)$/.exec(a);
    if (!m) fail(`unknown argument ${a}; usage: bun run scripts/build.ts [--target=bun-linux-arm64] [--outfile=dist/name]`);
    return [m[1], m[2]];
  });
  const parsed = Args.safeParse(Object.fromEntries(pairs));
  if (!parsed.success) fail(z.prettifyError(parsed.error));
  return parsed.data;
}

function git(args: string[]): { ok: boolean; out: string } {
  const r = Bun.spawnSync(["git", ...args], { stdout: "pipe", stderr: "ignore" });
  return { ok: r.exitCode === 0, out: r.stdout.toString().trim() };
}

/** GIT_REVISION, else the checkout's commit, else "unknown" (a source archive without .git). */
function revision(env: Record<string, string | undefined>): string {
  const given = env.GIT_REVISION;
  if (given) {
    const parsed = Revision.safeParse(given);
    if (!parsed.success) fail(`GIT_REVISION: ${z.prettifyError(parsed.error)}`);
    return parsed.data;
  }
  const head = git(["rev-parse", "--short=12", "HEAD"]);
  if (!head.ok) return "unknown";
  const dirty = git(["status", "--porcelain", "--untracked-files=no"]).out !== "";
  return `${head.out}${dirty ? "-dirty" : ""}`;
}

function fail(message: string): never {
  process.stderr.write(`build: ${message}\n`);
  process.exit(2);
}

/**
 * @opentelemetry/otlp-grpc-exporter-base loads @grpc/grpc-js with a require() made at run time
 * (createRequire(import.meta.url)), which the bundler cannot see: in a binary it throws "Cannot find
 * module '@grpc/grpc-js'" at the first OTLP push. Its files get a static import instead. The build
 * fails when there was nothing to rewrite, so an upgrade that changes this is looked at, not missed.
 */
const GRPC_REQUIRE = '__require("@grpc/grpc-js")';

function staticGrpcImport(rewritten: string[]): Bun.BunPlugin {
  return {
    name: "static-grpc-import",
    setup(build) {
      build.onLoad({ filter: /[\\/]@opentelemetry[\\/]otlp-grpc-exporter-base[\\/].*\.mjs$/ }, async ({ path }) => {
        const text = await Bun.file(path).text();
        if (!text.includes(GRPC_REQUIRE)) return { contents: text, loader: "js" };
        rewritten.push(path);
        return { contents: `import * as __grpcJs from "@grpc/grpc-js";\n${text.replaceAll(GRPC_REQUIRE, "__grpcJs")}`, loader: "js" };
      });
    },
  };
}

async function compile(target: z.infer<typeof Args>["target"], outfile: string, rev: string): Promise<void> {
  const rewritten: string[] = [];
  const result = await Bun.build({
    entrypoints: [ENTRY],
    target: "bun",
    compile: {
      outfile,
      ...(target ? { target: target as Bun.Build.CompileTarget } : {}),
      // The project's bunfig.toml holds install settings only; a bunfig.toml where the binary runs is not its business.
      autoloadBunfig: false,
    },
    define: { BUILD_REVISION: JSON.stringify(rev) },
    // Not minified (2.7 MB of ~110 MB): function names in stack traces stay readable. The source map
    // is embedded, so traces point at src/ lines.
    sourcemap: "inline",
    plugins: [staticGrpcImport(rewritten)],
    throw: false,
  });
  for (const log of result.logs) process.stderr.write(`${log}\n`);
  if (!result.success) fail("bun build --compile failed");
  if (rewritten.length === 0)
    fail(`no ${GRPC_REQUIRE} found in @opentelemetry/otlp-grpc-exporter-base: check whether the workaround is still needed`);
}

const args = parseArgs(process.argv.slice(2));
const rev = revision(process.env);
const outfile = args.outfile ?? `dist/${NAME}${args.target ? `-${args.target.replace(/^bun-/, "")}` : ""}`;
const started = performance.now();
await compile(args.target, outfile, rev);
// Bun also writes the source map beside the binary; the binary carries its own.
rmSync(`${outfile}.map`, { force: true });
const exe = args.target?.includes("windows") && !outfile.endsWith(".exe") ? `${outfile}.exe` : outfile;
const mb = (statSync(exe).size / 2 ** 20).toFixed(0);
process.stdout.write(`build: ${exe} (${mb} MiB, revision ${rev}) in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
