import type { Handler } from "hono";
import type { Asset } from "../render/assets.ts";
import { problemResponse } from "./problems.ts";

/**
 * A year, and never revalidated: an asset's path holds a hash of its content, so a path's bytes never
 * change. Not `public`: behind authentication a shared cache must not hand it to others.
 */
export const ASSET_CACHE_CONTROL = "max-age=31536000, immutable";

/** Answers exactly the paths of `assets` (prebuilt bytes and headers); any other path under the folder is a 404. */
export function assetsHandler(assets: readonly Asset[]): Handler {
  const byPath = new Map(
    assets.map((a) => [
      a.path,
      {
        body: a.body,
        headers: { "content-type": a.contentType, "cache-control": ASSET_CACHE_CONTROL, "x-content-type-options": "nosniff" },
      },
    ]),
  );
  return (c) => {
    const found = byPath.get(c.req.path);
    return found ? new Response(found.body, { headers: found.headers }) : problemResponse({ kind: "not_found" });
  };
}
