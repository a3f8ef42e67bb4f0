/**
 * A small structured logger: one logfmt line per event on stderr. Values are quoted when needed,
 * so a CLS error excerpt cannot break a line. Secrets never reach it: callers pass scrubbed text.
 */
export type Level = "debug" | "info" | "warn" | "error";
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

function formatLine(time: Date, level: Level, msg: string, fields: Fields = {}): string {
  const parts = [`time=${time.toISOString()}`, `level=${level}`, `msg=${quote(msg)}`];
  for (const [k, val] of Object.entries(fields)) if (val !== undefined) parts.push(`${k}=${quote(val)}`);
  return parts.join(" ");
}

export function createLogger(opts: { write: (line: string) => void; now?: () => number; level?: Level }): Logger {
  const min = ORDER[opts.level ?? "info"];
  const now = opts.now ?? Date.now;
  const at = (level: Level) => (msg: string, fields?: Fields) => {
    if (ORDER[level] >= min) opts.write(`${formatLine(new Date(now()), level, msg, fields)}\n`);
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** For tests and tools that want silence. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
