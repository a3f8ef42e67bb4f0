/** A real Prometheus (Debian's 2.42 package) and promtool for integration tests; see harness.ts. */
import { join } from "node:path";
import { freePort, type Harness, type Proc, requireBinary, type WaitOptions, waitFor } from "./harness.ts";

export const PROMETHEUS_HINT =
  "Install Debian's `prometheus` package (apt-get install prometheus), which brings prometheus and promtool; `npm test` does it when run as root.";

export type Vector = { metric: Record<string, string>; value: [number, string] }[];

export interface Prometheus {
  proc: Proc;
  url: string;
  /** Instant query; resolves with the result vector, throws on an API error. */
  query(q: string): Promise<Vector>;
  /** GET an /api/v1/... path; resolves with `data`, throws unless status is success. */
  api<T = unknown>(path: string): Promise<T>;
}

/** Starts a real Prometheus on a free 127.0.0.1 port with `config` (YAML text); retries on a port clash. */
export async function startPrometheus(h: Harness, config: string, opts: WaitOptions = {}): Promise<Prometheus> {
  const bin = requireBinary("prometheus", PROMETHEUS_HINT);
  const dir = h.tempDir("cls-prom-");
  await Bun.write(join(dir, "prometheus.yml"), config);
  for (let attempt = 1; ; attempt++) {
    const url = `http://127.0.0.1:${freePort()}`;
    const flags = [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=${new URL(url).host}`,
    ];
    const proc = h.spawn("prometheus", [bin, ...flags, "--log.level=warn", "--storage.tsdb.retention.time=1h"]);
    const api = async <T>(path: string): Promise<T> => {
      const body = (await (await fetch(`${url}${path}`)).json()) as { status: string; data: T; error?: string };
      if (body.status !== "success") throw new Error(`Prometheus ${path}: ${body.error ?? body.status}`);
      return body.data;
    };
    const query = async (q: string) => (await api<{ result: Vector }>(`/api/v1/query?query=${encodeURIComponent(q)}`)).result;
    try {
      await waitFor(
        "Prometheus /-/ready",
        async () => {
          proc.assertAlive();
          return (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok ? true : undefined;
        },
        opts,
      );
      return { proc, url, query, api };
    } catch (err) {
      await proc.stop(2_000);
      if (attempt >= 3 || !/address already in use/.test(proc.output())) throw err;
    }
  }
}

/** Runs `promtool check metrics` on `body` (stdin). */
export async function promtoolCheckMetrics(body: string): Promise<{ code: number; output: string }> {
  const bin = requireBinary("promtool", PROMETHEUS_HINT);
  const p = Bun.spawn([bin, "check", "metrics"], { stdin: new Blob([body]), stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, output: (out + err).trim() };
}
