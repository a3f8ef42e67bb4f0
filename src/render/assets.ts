/**
 * The files the exporter's pages load, embedded in the program so a compiled single binary serves
 * them too. Each is served at a path holding a hash of its content, so a browser may cache it for a
 * year: a new content is a new path.
 */
import { RESERVED_PATHS } from "../config/index.ts";
import pageCss from "./page.css" with { type: "text" };

export interface Asset {
  /** e.g. /assets/0123456789abcdef/page.css */
  path: string;
  contentType: string;
  body: Uint8Array;
}

/** Hex characters of the content's SHA-256 kept in the path: 64 bits, enough to never repeat by chance. */
const HASH_CHARS = 16;

export function assetOf(name: string, contentType: string, text: string): Asset {
  const body = new TextEncoder().encode(text);
  const hash = new Bun.CryptoHasher("sha256").update(body).digest("hex").slice(0, HASH_CHARS);
  return { path: `${RESERVED_PATHS.assets}/${hash}/${name}`, contentType, body };
}

/** The status page's style sheet (its CSP allows no inline style). */
export const PAGE_CSS = assetOf("page.css", "text/css; charset=utf-8", pageCss);

/** Every asset the exporter serves under RESERVED_PATHS.assets. */
export const ASSETS: readonly Asset[] = [PAGE_CSS];
