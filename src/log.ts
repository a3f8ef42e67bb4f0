/**
 * A small structured logger: one line per event on stderr, logfmt (values quoted when needed, so a
 * CLS error excerpt cannot break a line) or JSON (one object per line, for log shippers).
 * Secrets never reach it: callers pass scrubbed text.
 */
export const LEVELS = ["debug", "info", "warn", "error"] as const;
export type Level = (typeof LEVELS)[number];
export const FORMATS = ["logfmt", "json"] as const;
export type LogFormat = (typeof FORMATS)[number];
export type Fields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
}

const ORDER: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

function quote(value: string | number | boolean): string {
  const text = String(value);
  return /^[^\s"=\\]+$/.test(text) ? text : JSON.stringify(text);
}

function logfmtLine(time: Date, level: Level, msg: string, fields: Fields = {}): string {
  const parts = [`time=${time.toISOString()}`, `level=${level}`, `msg=${quote(msg)}`];
  for (const [k, val] of Object.entries(fields)) if (val !== undefined) parts.push(`${k}=${quote(val)}`);
  return parts.join(" ");
}

/** time, level and msg first and never overwritten by a field of the same name. */
function jsonLine(time: Date, level: Level, msg: string, fields: Fields = {}): string {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, val] of Object.entries(fields))
    if (val !== undefined) out[k] = typeof val === "number" && !Number.isFinite(val) ? String(val) : val;
  const head = { time: time.toISOString(), level, msg };
  return JSON.stringify({ ...head, ...out, ...head });
}

export function createLogger(opts: { write: (line: string) => void; now?: () => number; level?: Level; format?: LogFormat }): Logger {
  const min = ORDER[opts.level ?? "info"];
  const now = opts.now ?? Date.now;
  const line = opts.format === "json" ? jsonLine : logfmtLine;
  const at = (level: Level) => (msg: string, fields?: Fields) => {
    if (ORDER[level] >= min) opts.write(`${line(new Date(now()), level, msg, fields)}\n`);
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** Log lines that could not be written since the start (nvidia_cls_log_lines_dropped_total). */
export interface LogStats {
  dropped: number;
}

/**
 * A write function over a stream (stderr) that never throws and never ends the process: a line
 * the stream cannot take — a closed pipe (EPIPE), a full disk under a redirected file (ENOSPC) —
 * is dropped and `onDrop` told. Stream errors arrive asynchronously, through the write's callback
 * and an 'error' event that, without a listener, is an uncaught exception (exit 1); this adds one.
 */
export function streamWriter(stream: NodeJS.WritableStream, onDrop: () => void): (line: string) => void {
  stream.on("error", () => {
    // Counted by the write's callback; the listener only keeps the event from ending the process.
  });
  const done = (err?: Error | null) => {
    if (err) onDrop();
  };
  return (line) => {
    try {
      stream.write(line, done);
    } catch {
      onDrop();
    }
  };
}

/**
 * For a bound that refuses work (a full queue): each refusal is counted, and a warning with the
 * count since the last one is written at most once every `everyMs`, so a flood costs a line a minute.
 */
export function refusalReporter(log: Logger | undefined, now: () => number, msg: string, fields: Fields, everyMs = 60_000): () => void {
  let refused = 0;
  let loggedAt = Number.NEGATIVE_INFINITY;
  return () => {
    refused++;
    if (!log || now() - loggedAt < everyMs) return;
    log.warn(msg, { refused, ...fields });
    loggedAt = now();
    refused = 0;
  };
}

/** For tests and tools that want silence. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
