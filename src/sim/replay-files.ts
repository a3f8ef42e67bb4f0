import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";

/**
 * Reading a capture folder someone sent us: only regular files directly inside DIR (a body file
 * name has no slash and is never "." or ".."; a symlink is refused, not followed, so a folder cannot
 * point the replay at /etc/passwd or a key), and no more than a bounded number of bytes, checked
 * before anything is read, so a hostile manifest or body cannot exhaust memory.
 */

/** The largest manifest.json read. A real capture's manifest is about 600 bytes per request. */
export const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;
/** The most body bytes one replay reads, all files together (each is at most CLS_MAX_RESPONSE_BYTES of the capture). */
export const MAX_REPLAY_BODY_BYTES = 1024 * 1024 * 1024;

/** A file name the replay reads from DIR: no path separator, not only dots. */
export const SAFE_FILE_NAME = /^(?!\.+$)[\w.-]{1,128}$/;

/** Counts the bytes read so far against MAX_REPLAY_BODY_BYTES. */
export interface ReadBudget {
  left: number;
}

export async function readInside(dir: string, name: string, max: number, budget?: ReadBudget): Promise<string> {
  if (!SAFE_FILE_NAME.test(name)) throw new Error(`${JSON.stringify(name)} is not a file name of a capture`);
  // O_NOFOLLOW: a symlink fails to open (ELOOP) instead of being followed out of DIR.
  const file = await open(join(dir, name), constants.O_RDONLY | constants.O_NOFOLLOW).catch((e: NodeJS.ErrnoException) => {
    throw new Error(e.code === "ELOOP" ? `${name} is a symbolic link: not read` : `${name}: ${e.code ?? e.message}`);
  });
  try {
    const st = await file.stat();
    if (!st.isFile()) throw new Error(`${name} is not a regular file: not read`);
    const limit = Math.min(max, budget?.left ?? max);
    if (st.size > limit) throw new Error(`${name} is ${st.size} bytes, over the replay's bound of ${limit}`);
    if (budget) budget.left -= st.size;
    // Only the size checked is read, even if the file grows meanwhile.
    const buf = Buffer.alloc(st.size);
    const { bytesRead } = await file.read(buf, 0, st.size, 0);
    return buf.subarray(0, bytesRead).toString("utf8");
  } finally {
    await file.close();
  }
}
