import { chmod, mkdir, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * The capture folder: created 0700 (or an existing empty one made 0700), every file written 0600
 * and never over an existing one. A write that fails (a full disk, a read-only mount) is remembered,
 * later writes are skipped, and the command ends with that message and exit 1: never a crash.
 */

/** Why `dir` cannot take a capture (it holds files, or is not a folder); undefined when it can. */
export async function unusableFolder(dir: string): Promise<string | undefined> {
  // "-" reads as standard output on most command lines; a capture is a folder of files, never a stream.
  if (dir === "-") return `"-" is not a folder (a capture is written as files, not to standard output): give a folder path`;
  const found = await stat(dir).catch(() => undefined);
  if (!found) return undefined;
  if (!found.isDirectory()) return `${dir} exists and is not a folder`;
  const entries = await readdir(dir).catch((err: NodeJS.ErrnoException) => `${dir} cannot be listed (${err.code ?? err.message})`);
  if (typeof entries === "string") return entries;
  return entries.length > 0 ? `${dir} is not empty (${entries.length} entries): give a new or empty folder` : undefined;
}

export interface FolderWriter {
  write(name: string, text: string): Promise<void>;
  /** The first write failure, as a sentence; undefined while every write succeeded. */
  readonly failure: string | undefined;
  /** Bytes and files written. */
  readonly written: { files: number; bytes: number };
}

export type WriteFile = (path: string, text: string) => Promise<void>;

const exclusive: WriteFile = (path, text) => writeFile(path, text, { mode: 0o600, flag: "wx" });

export async function openFolder(dir: string, write: WriteFile = exclusive): Promise<FolderWriter> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  let failure: string | undefined;
  const written = { files: 0, bytes: 0 };
  return {
    async write(name, text) {
      if (failure) return;
      try {
        await write(join(dir, name), text);
        written.files++;
        written.bytes += Buffer.byteLength(text);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const why = code === "ENOSPC" || code === "EDQUOT" ? "the disk is full" : ((err as Error).message ?? String(err));
        failure = `could not write ${name} in ${dir}: ${why}; the capture is incomplete`;
      }
    },
    get failure() {
      return failure;
    },
    written,
  };
}
