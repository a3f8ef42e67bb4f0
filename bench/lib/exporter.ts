/**
 * The exporter as its own process, as production runs it: `bun run src/index.ts` of this checkout,
 * or of BENCH_EXPORTER_DIR (another checkout, to measure a change before making it).
 */

import type { Subprocess } from "bun";
import { drain, firstLine, ROOT, spawnChild } from "./processes.ts";
import { API_KEY } from "./simulator.ts";

/** The checkout whose exporter the benchmarks start: BENCH_EXPORTER_DIR, else this one. */
export const exporterDir = (): string => (process.env.BENCH_EXPORTER_DIR || ROOT).replace(/\/$/, "");
export const exporterEntry = (): string => `${exporterDir()}/src/index.ts`;

export interface ExporterProcess {
  url: string;
  pid: number;
  /** The `refresh succeeded` log fields of the first refresh (empty when started with waitFor "listening"). */
  firstRefresh: Record<string, string>;
  child: Subprocess;
  /** The checkout it runs (see exporterDir). */
  dir: string;
}

export interface ExporterOptions {
  /** Sees every line the exporter logs (stderr), from the first on, for as long as it runs. */
  onLine?: (line: string) => void;
  /** A module preloaded into the exporter (`bun run --preload`): a probe that leaves src/ untouched. */
  preload?: string;
  /** "refresh" (the default): until its first refresh succeeded; "listening": until it listens (CLS may be unreachable). */
  waitFor?: "refresh" | "listening";
  /** How long that may take (default 30 s). */
  timeoutMs?: number;
}

/**
 * `bun run src/index.ts` against `clsUrl`, CACHE_TTL 1h unless `extraEnv` says otherwise; resolves
 * after its first refresh succeeded (or once it listens, see waitFor), rejects if an error or an
 * incomplete refresh is logged before.
 */
export async function startExporter(
  clsUrl: string,
  orgName: string,
  extraEnv: Record<string, string> = {},
  options: ExporterOptions = {},
): Promise<ExporterProcess> {
  const env = {
    NVIDIA_API_KEY: API_KEY,
    NVIDIA_ORG_NAME: orgName,
    NVIDIA_API_BASE_URL: clsUrl,
    LISTEN_ADDRESS: "127.0.0.1:0",
    CACHE_TTL: "1h",
    ...extraEnv,
  };
  const dir = exporterDir();
  // `bun run --preload X file` (Bun 1.4.5 does not accept `bun --preload X run file`).
  const preload = options.preload ? ["--preload", options.preload] : [];
  const child = spawnChild([process.execPath, "run", ...preload, `${dir}/src/index.ts`], env);
  drain(child.stdout);
  let url = "";
  const listeningIsEnough = options.waitFor === "listening";
  const firstRefresh = await firstLine(
    child.stderr,
    (line) => {
      if (line.includes("msg=listening")) url = logfmt(line).url ?? "";
      if (line.includes('msg="refresh incomplete"') || line.includes("level=error")) throw new Error(`exporter: ${line}`);
      if (url && listeningIsEnough) return {};
      return line.includes('msg="refresh succeeded"') ? logfmt(line) : undefined;
    },
    { timeoutMs: options.timeoutMs, onLine: options.onLine },
  );
  if (!url) throw new Error("exporter did not log its URL");
  return { url, pid: child.pid, firstRefresh, child, dir };
}

/** Enough logfmt for the exporter's own log lines (values without escaped quotes). */
export function logfmt(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of line.matchAll(/(\w+)=("([^"]*)"|\S+)/g)) out[m[1]!] = m[3] ?? m[2]!;
  return out;
}
