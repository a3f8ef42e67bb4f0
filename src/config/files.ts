/** Reading the files settings name (keys, certificates), with problems told apart for messages. */

/** Why a file could not be read: its errno code (ENOENT, EACCES…), never its content. */
export const readErrorCode = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? "unreadable";

export type PemRead = { pem: string } | { unreadable: string } | { notPem: true };

/** A PEM file's text, or why not: it cannot be read (errno code) or holds no PEM block. */
export function readPem(readFile: (path: string) => string, path: string): PemRead {
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    return { unreadable: readErrorCode(err) };
  }
  return /-----BEGIN [A-Z0-9 ]+-----/.test(text) ? { pem: text } : { notPem: true };
}
