import pkg from "../../package.json" with { type: "json" };
import { clsFetch } from "../cls/transport.ts";
import type { Command, Config } from "../config/index.ts";
import { createLogger, streamWriter } from "../log.ts";
import { causesOf } from "../snapshot/causes.ts";
import type { Snapshot } from "../snapshot/types.ts";
import { captureCommand } from "./capture.ts";
import { exitCodeOf, refreshOnce } from "./once.ts";

/**
 * Runs a command after the configuration was read (a bad one exited 2 before): one refresh, the
 * report on stdout, the refresh's own log on stderr. Returns the exit code.
 */
export async function runCommand(command: Command, config: Config, opts: { revision: string }): Promise<number> {
  const log = createLogger({ write: streamWriter(process.stderr, () => {}), level: config.log.level, format: config.log.format });
  const deps = {
    fetch: clsFetch(config.clsTransport, fetch),
    now: Date.now,
    log,
    build: { version: pkg.version, revision: opts.revision, bunVersion: Bun.version },
  };
  if (command.name === "capture") {
    const result = await captureCommand(command.dir, config, deps);
    if (!result.snapshot) {
      await print(process.stderr, `${result.summary}\n`);
      return result.code;
    }
    const report = reportOf(result.snapshot, command.format);
    const out =
      command.format === "json" ? JSON.stringify({ ...JSON.parse(report), capture: captureJson(result) }) : `${report}${result.summary}\n`;
    await print(process.stdout, `${out}\n`);
    return result.code;
  }
  const snapshot = await refreshOnce(config, deps);
  await print(process.stdout, `${reportOf(snapshot, command.format)}\n`);
  return exitCodeOf(snapshot);
}

function reportOf(snapshot: Snapshot, format: "text" | "json"): string {
  const code = exitCodeOf(snapshot);
  const causes = [...causesOf(snapshot).values()].map((c) => `${c.endpoint}: ${c.detail}${c.hint ? ` (${c.hint})` : ""}`);
  return format === "json" ? JSON.stringify({ ok: code === 0, causes }) : `${code === 0 ? "OK" : "PROBLEMS"}\n${causes.join("\n")}\n`;
}

const captureJson = (r: Awaited<ReturnType<typeof captureCommand>>) => ({ ok: r.code === 0, summary: r.summary, ...r.written });

const print = (stream: NodeJS.WriteStream, text: string) => new Promise<void>((resolve) => stream.write(text, () => resolve()));
