/**
 * The files the exporter's pages load, embedded in the program so a compiled single binary serves
 * them too. Each is served at a path holding a hash of its content, so a browser may cache it for a
 * year: a new content is a new path.
 */

import uplotJs from "uplot/dist/uPlot.iife.min.js" with { type: "text" };
import uplotCss from "uplot/dist/uPlot.min.css" with { type: "text" };
import { RESERVED_PATHS } from "../config/index.ts";
import pageCss from "./page.css" with { type: "text" };
import pageJs from "./page-charts.js" with { type: "text" };

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

/** The status page's script: draws the charts from /history (its CSP allows no inline script). */
export const PAGE_JS = assetOf("page-charts.js", "text/javascript; charset=utf-8", pageJs);

/** uPlot (MIT), the charts' library, as published: served by the exporter itself, no CDN. */
export const UPLOT_JS = assetOf("uPlot.iife.min.js", "text/javascript; charset=utf-8", uplotJs);
export const UPLOT_CSS = assetOf("uPlot.min.css", "text/css; charset=utf-8", uplotCss);

/** Every asset the exporter serves under RESERVED_PATHS.assets. */
export const ASSETS: readonly Asset[] = [PAGE_CSS, PAGE_JS, UPLOT_JS, UPLOT_CSS];
