import { loadReplay } from "./replay.ts";

export interface ReplayServer {
  url: string;
  org: string;
  answers: number;
  stop(): Promise<void>;
}

/** A capture folder over real HTTP, with /_sim/info naming the org to point the exporter at. */
export async function serveReplay(
  dir: string,
  opts: { hostname?: string; port?: number; apiKey?: string | undefined },
): Promise<ReplayServer> {
  const replay = await loadReplay(dir, opts.apiKey);
  const hostname = opts.hostname ?? "127.0.0.1";
  const server = Bun.serve({
    hostname,
    port: opts.port ?? 0,
    fetch(req, srv) {
      const path = new URL(req.url).pathname;
      if (path === "/_sim/info") return Response.json({ orgName: replay.org, replay: true, answers: replay.answers });
      return replay.handle(req, srv);
    },
  });
  return {
    url: `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${server.port}`,
    org: replay.org,
    answers: replay.answers,
    stop: () => server.stop(true),
  };
}
