/**
 * Setting docs are written once, in a small markup, and rendered for the README (Markdown) and
 * for --help (plain text for a terminal: no emphasis, backticks or links):
 *
 *   `code`           → `code`                         | code
 *   *term*           → _term_                         | "term"
 *   [[README title]] → [README title](#readme-title)  | the README section "README title"
 */
import type { Setting } from "./settings.ts";

export type DocFormat = "markdown" | "plain";

/** Code first, so a `*` inside backticks is never taken for emphasis. */
const MARKUP = /`([^`]+)`|\*([^*\s][^*]*)\*|\[\[([^\]]+)\]\]/g;

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
const anchor = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\w\s-]/g, "")
    .replace(/\s/g, "-");

export function renderDoc(doc: string, format: DocFormat): string {
  return doc.replace(MARKUP, (_, code: string | undefined, term: string | undefined, section: string) => {
    if (code !== undefined) return format === "markdown" ? `\`${code}\`` : code;
    if (term !== undefined) return format === "markdown" ? `_${term}_` : `"${term}"`;
    return format === "markdown" ? `[${section}](#${anchor(section)})` : `the README section "${section}"`;
  });
}

/** A setting's documentation, with its standard fallbacks spelled out. */
export function settingDoc(s: Setting, format: DocFormat): string {
  const fallback = s.fallback ? ` When unset: ${s.fallback.map((n) => `\`${n}\``).join(", else ")}, else the default.` : "";
  return renderDoc(s.doc + fallback, format);
}
