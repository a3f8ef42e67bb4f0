import type { HttpDeps } from "../cls/http.ts";
import type { ClsLimits } from "../cls/limits.ts";
import { redact } from "../cls/redact.ts";
import type { FolderWriter } from "./folder.ts";
import type { CaptureEntry } from "./manifest.ts";
import type { Pseudonyms } from "./pseudonym.ts";
import { type KeptBody, keptBody } from "./scrub-body.ts";
import { KEPT_REQUEST_HEADERS, KEPT_RESPONSE_HEADERS, keptHeaders, scrubPath, scrubQuery } from "./scrub-request.ts";
import { readUpTo } from "./tap.ts";

type Fetch = HttpDeps["fetch"];

export interface RecorderOptions {
  limits: ClsLimits;
  /** The configured base URL: recorded paths are below its own path. */
  baseUrl: string;
  pseudonyms: Pseudonyms;
  folder: FolderWriter;
  /** The configured key; with every x-api-key sent, redacted from every written text as a last line (the scrubbing already replaced every string that could hold it). */
  apiKey: () => string;
  now: () => number;
}

export interface Recorder {
  fetch: Fetch;
  /** Every key configured or sent taken out of a text (the manifest's last line of defence). */
  redact(text: string): string;
  /** Waits for every body to be scrubbed and written; the entries in the order the requests were made. */
  finish(): Promise<CaptureEntry[]>;
}

/**
 * A fetch that records every request and its answer, failed ones included, and hands the client
 * exactly the bytes CLS sent (gzip stays gzip; a body over CLS_MAX_RESPONSE_BYTES is read no further
 * than the bound, and the client reads on and refuses it as it would). Scrubbing and writing run
 * one body at a time behind the refresh.
 */
export function createRecorder(inner: Fetch, o: RecorderOptions): Recorder {
  const started = o.now();
  const entries: CaptureEntry[] = [];
  let queue: Promise<void> = Promise.resolve();
  let seq = 0;
  const keys = new Set<string>();
  const basePath = new URL(o.baseUrl).pathname;

  async function recorded(input: string, init: RequestInit): Promise<Response> {
    const url = new URL(input);
    const sentKey = new Headers(init.headers).get("x-api-key");
    if (sentKey) keys.add(sentKey);
    const entry: CaptureEntry = {
      seq: ++seq,
      method: init.method ?? "GET",
      path: scrubPath(url.pathname, basePath, o.pseudonyms),
      query: scrubQuery(url.searchParams, o.pseudonyms),
      requestHeaders: keptHeaders(new Headers(init.headers), KEPT_REQUEST_HEADERS, o.pseudonyms),
      startedMs: o.now() - started,
      durationMs: 0,
      outcome: "answered",
    };
    entries.push(entry);
    const at = o.now();
    let res: Response;
    try {
      res = await inner(input, init);
    } catch (err) {
      entry.outcome = init.signal?.aborted ? "timeout" : "network";
      entry.error = errorName(err);
      entry.durationMs = o.now() - at;
      throw err;
    }
    entry.status = res.status;
    entry.responseHeaders = keptHeaders(res.headers, KEPT_RESPONSE_HEADERS, o.pseudonyms);
    const tapped = await readUpTo(res, o.limits.maxResponseBytes);
    entry.durationMs = o.now() - at;
    if (tapped.kind === "over") entry.body = { kind: "cut", bytes: tapped.bytes };
    else if (tapped.kind === "broken") entry.body = { kind: "broken" };
    else keep(entry, tapped.bytes, res.headers);
    return tapped.response;
  }

  function keep(entry: CaptureEntry, raw: Uint8Array, headers: Headers): void {
    const gzip = /^\s*(x-)?gzip\s*$/i.test(headers.get("content-encoding") ?? "");
    const contentType = keptHeaders(headers, ["content-type"], o.pseudonyms)["content-type"]?.split(";")[0] ?? "";
    queue = queue.then(async () => {
      const body = await keptBody(raw, gzip, contentType, o.limits, o.pseudonyms, redacted);
      await write(entry, body, gzip);
    });
  }

  async function write(entry: CaptureEntry, body: KeptBody, gzip: boolean): Promise<void> {
    if (body.kind === "cut") {
      entry.body = body;
      return;
    }
    const file = `${String(entry.seq).padStart(4, "0")}.${body.kind === "json" ? "json" : "txt"}`;
    entry.body = { kind: body.kind, file, gzip: gzip && body.kind === "json" };
    await o.folder.write(file, redacted(body.text));
  }

  function redacted(text: string): string {
    let out = redact(text, o.apiKey());
    for (const key of keys) out = redact(out, key);
    return out;
  }

  return {
    fetch: recorded,
    redact: redacted,
    async finish() {
      await queue;
      return entries;
    },
  };
}

/** An error's name as the manifest keeps it: a class name (TimeoutError, ConnectionRefused), or "Error" for anything else a transport might put there. */
const errorName = (err: unknown): string => {
  const name = (err as Error | undefined)?.name;
  return typeof name === "string" && /^[A-Za-z]\w{0,63}$/.test(name) ? name : "Error";
};
