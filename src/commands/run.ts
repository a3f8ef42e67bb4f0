import pkg from "../../package.json" with { type: "json" };
import { clsFetch } from "../cls/transport.ts";
import type { Command, Config } from "../config/index.ts";
import { createLogger, streamWriter } from "../log.ts";
import { causesOf } from "../snapshot/causes.ts";
import { exitCodeOf, refreshOnce } from "./once.ts";

/**
 * Runs a command after the configuration was read (a bad one exited 2 before): one refresh, the
 * report on stdout, the refresh's own log on stderr. Returns the exit code.
 */
export async function runCommand(command: Command, config: Config, opts: { revision: string }): Promise<number> {
  const log = createLogger({ write: streamWriter(process.stderr, () => {}), level: config.log.level, format: config.log.format });
  const snapshot = await refreshOnce(config, {
    fetch: clsFetch(config.clsTransport, fetch),
    now: Date.now,
    log,
    build: { version: pkg.version, revision: opts.revision, bunVersion: Bun.version },
  });
  const code = exitCodeOf(snapshot);
  const causes = [...causesOf(snapshot).values()].map((c) => `${c.endpoint}: ${c.detail}${c.hint ? ` (${c.hint})` : ""}`);
  const out =
    command.format === "json" ? JSON.stringify({ ok: code === 0, causes }) : `${code === 0 ? "OK" : "PROBLEMS"}\n${causes.join("\n")}\n`;
  await new Promise<void>((resolve) => process.stdout.write(`${out}\n`, () => resolve()));
  return code;
}
