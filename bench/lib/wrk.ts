/** Load on 127.0.0.1 with wrk (Debian: apt-get install wrk). */

import { spawnChild } from "./processes.ts";

export interface WrkOptions {
  gzip: boolean;
  seconds: number;
  connections: number;
}

export interface WrkResult {
  rps: number;
  transfer: string;
  errors: string;
}

/** One wrk run (2 threads); fails loudly on non-2xx answers so a broken server cannot look fast. */
export async function wrk(url: string, o: WrkOptions): Promise<WrkResult> {
  const args = ["wrk", "-t2", `-c${o.connections}`, `-d${o.seconds}s`, ...(o.gzip ? ["-H", "Accept-Encoding: gzip"] : []), url];
  const child = spawnChild(args);
  const [out] = await Promise.all([new Response(child.stdout).text(), child.exited]);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  if (!rps || child.exitCode !== 0) throw new Error(`wrk failed: ${out}`);
  if (/Non-2xx/.test(out)) throw new Error(`wrk saw non-2xx answers from ${url}:\n${out}`);
  return { rps: Number(rps[1]), transfer: /Transfer\/sec:\s+(\S+)/.exec(out)?.[1] ?? "?", errors: /Socket errors:.*/.exec(out)?.[0] ?? "" };
}
