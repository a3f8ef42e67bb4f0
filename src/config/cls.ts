/** The settings that say which CLS organisation to read and where its API is. */
import { z } from "zod";
import { nonEmpty } from "./primitives.ts";

export const orgName = nonEmpty.regex(/^[^/?#\s]+$/, "must not hold /, ?, # or spaces");

export const baseUrl = z.string().transform((text, ctx) => {
  const url = URL.parse(text);
  if (url && (url.username || url.password)) {
    // Credentials in the URL would be logged with it; CLS authenticates with the API key anyway.
    ctx.addIssue({ code: "custom", message: "must not contain a user name or password" });
    return "";
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.search || url.hash) {
    ctx.addIssue({ code: "custom", message: `must be an http(s) URL without query, got "${text}"` });
    return "";
  }
  return url.href.replace(/\/+$/, "");
});
