/** The settings that say which CLS organisation to read and where its API is. */
import { z } from "zod";
import { nonEmpty } from "./primitives.ts";

export const orgName = nonEmpty.regex(/^[^/?#\s]+$/, "must not hold /, ?, # or spaces");

/** Quoted in a problem only when it cannot hold a token: no query, fragment or user info, not overlong. */
const quotable = (text: string) => (/^[^?#@\s]{1,200}$/.test(text) ? ` "${text}"` : "");

/**
 * The base URL of every CLS call. A query string, a fragment or user info is refused, and never
 * echoed: CLS needs none of them, and a token put there would travel with every call and every log
 * line that names the URL.
 */
export const baseUrl = z.string().transform((text, ctx) => {
  const url = URL.parse(text.trim());
  if (url && (url.username || url.password || url.search || url.hash)) {
    const what = url.username || url.password ? "a user name or password" : "a query string or fragment";
    const why = "CLS needs none, and a token there would be sent with every call; the value is not shown";
    ctx.addIssue({ code: "custom", message: `must not hold ${what} (${why})` });
    return "";
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || text.includes("?")) {
    ctx.addIssue({
      code: "custom",
      message: `must be an http(s) URL such as https://api.licensing.nvidia.com, got${quotable(text) || " something else"}`,
    });
    return "";
  }
  return url.href.replace(/\/+$/, "");
});
