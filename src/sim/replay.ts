/**
 * The simulator's replay mode: a capture folder (src/capture/) served verbatim, the captured status,
 * headers and bodies for the matching request, not numbers computed again. Requests match on method,
 * path, query and the x-nv-service-instance-id header; the answers to one request are served in the
 * order they were captured (a 500 then its retry's 200), the last one again after that.
 */
import { type CaptureEntry, MANIFEST_FILE, type Manifest, manifestSchema } from "../capture/manifest.ts";
import { MAX_MANIFEST_BYTES, MAX_REPLAY_BODY_BYTES, readInside } from "./replay-files.ts";

export interface Replay {
  org: string;
  answers: number;
  handle(req: Request, server: { timeout(req: Request, seconds: number): void }): Promise<Response>;
}

interface Answer {
  entry: CaptureEntry;
  /** The body file's text, when one was kept. */
  text?: string;
}

const keyOf = (method: string, path: string, query: Iterable<[string, string]>, instance: string | null) =>
  `${method} ${path}?${[...query]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&")} #${instance ?? ""}`;

export async function loadReplay(dir: string, apiKey?: string): Promise<Replay> {
  const manifest: Manifest = manifestSchema.parse(JSON.parse(await readInside(dir, MANIFEST_FILE, MAX_MANIFEST_BYTES)));
  const byRequest = new Map<string, Answer[]>();
  const budget = { left: MAX_REPLAY_BODY_BYTES };
  for (const entry of manifest.requests) {
    const b = entry.body;
    const text =
      b && (b.kind === "json" || b.kind === "standin") ? await readInside(dir, b.file, MAX_REPLAY_BODY_BYTES, budget) : undefined;
    const key = keyOf(entry.method, entry.path, Object.entries(entry.query), entry.requestHeaders["x-nv-service-instance-id"] ?? null);
    byRequest.set(key, [...(byRequest.get(key) ?? []), { entry, ...(text !== undefined ? { text } : {}) }]);
  }
  const served = new Map<string, number>();
  return {
    org: manifest.org,
    answers: manifest.requests.length,
    async handle(req, server) {
      if (apiKey !== undefined && req.headers.get("x-api-key") !== apiKey) return json(401, "missing or invalid x-api-key");
      const url = new URL(req.url);
      const key = keyOf(req.method, url.pathname, url.searchParams, req.headers.get("x-nv-service-instance-id"));
      const answers = byRequest.get(key);
      if (!answers) return json(404, `the capture holds no answer to ${key}`);
      const n = served.get(key) ?? 0;
      served.set(key, n + 1);
      return replayed(answers[Math.min(n, answers.length - 1)]!, req, server);
    },
  };
}

async function replayed(a: Answer, req: Request, server: { timeout(req: Request, seconds: number): void }): Promise<Response> {
  const { entry } = a;
  if (entry.outcome === "timeout") {
    // No answer came at capture time: none comes now, until the client gives up.
    server.timeout(req, 0);
    await new Promise<void>((resolve) => req.signal.addEventListener("abort", () => resolve(), { once: true }));
    return new Response(null, { status: 499 });
  }
  if (entry.outcome === "network") return brokenBody(200, {});
  const headers = entry.responseHeaders ?? {};
  const status = entry.status ?? 200;
  const b = entry.body;
  if (b?.kind === "cut") return new Response(filler(b.bytes), { status, headers: without(headers, "content-encoding") });
  if (b?.kind === "broken") return brokenBody(status, headers);
  const text = a.text ?? "";
  const body = (b?.kind === "json" || b?.kind === "standin") && b.gzip ? Bun.gzipSync(new TextEncoder().encode(text)) : text;
  return new Response(status === 204 || status === 304 ? null : body, { status, headers });
}

/** `bytes` of whitespace made as they are read: a cut body of any recorded size costs no memory, and a client that stops early stops it. */
function filler(bytes: number): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(64 * 1024).fill(32);
  let left = bytes;
  return new ReadableStream({
    pull(controller) {
      const n = Math.min(left, chunk.byteLength);
      left -= n;
      controller.enqueue(n === chunk.byteLength ? chunk : chunk.subarray(0, n));
      if (left === 0) controller.close();
    },
  });
}

/** An answer whose body breaks off: the client sees a read error, as at capture time. */
function brokenBody(status: number, headers: Record<string, string>): Response {
  const stream = new ReadableStream({
    pull(controller) {
      controller.error(new Error("the captured body broke off here"));
    },
  });
  return new Response(stream, { status, headers });
}

const without = (h: Record<string, string>, name: string) => Object.fromEntries(Object.entries(h).filter(([k]) => k !== name));

const json = (status: number, message: string) =>
  new Response(JSON.stringify({ status, message }), { status, headers: { "content-type": "application/json" } });
