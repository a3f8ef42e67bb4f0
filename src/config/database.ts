/** Which engine keeps the history: PostgreSQL when DATABASE_URL names one, else SQLite at DB_PATH. */
import { z } from "zod";
import type { Flags } from "./flags.ts";
import type { Env, Named } from "./primitives.ts";

/** The schemes that select PostgreSQL; platforms inject DATABASE_URL for other software too. */
const POSTGRES_SCHEMES = ["postgres:", "postgresql:"];

/** A URL of a PostgreSQL server with a host; never quoted in a message (it may hold a password). */
const postgresUrl = z.string().refine((text) => {
  try {
    const u = new URL(text);
    return POSTGRES_SCHEMES.includes(u.protocol) && u.hostname !== "";
  } catch {
    return false;
  }
});

/** The scheme of `text`, lower-case with its colon, or undefined when it has none. */
const schemeOf = (text: string) => /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1]?.toLowerCase();

/**
 * DATABASE_URL (flag or variable): a postgres:// or postgresql:// URL selects PostgreSQL and wins
 * over the default or Railway-derived DB_PATH; DB_PATH set as well is a problem naming both; another
 * scheme is ignored with a note (an info line at start). Returns the URL, or undefined for SQLite.
 * No message quotes the URL: its password is a secret.
 */
export function databaseUrl(env: Env, flags: Flags, named: Named, problems: string[], notes: string[]): string | undefined {
  const raw = flags.DATABASE_URL?.value ?? env.DATABASE_URL;
  if (raw === undefined || raw.trim() === "") return undefined;
  const scheme = schemeOf(raw.trim());
  if (!scheme || !POSTGRES_SCHEMES.includes(`${scheme}:`)) {
    notes.push(
      `${named("DATABASE_URL")} is ignored: its scheme is ${scheme ? `"${scheme}"` : "missing"}, not postgres or postgresql; history is kept in SQLite at DB_PATH`,
    );
    return undefined;
  }
  const url = postgresUrl.safeParse(raw.trim());
  if (!url.success) {
    problems.push(`${named("DATABASE_URL")}: not a valid postgres:// URL with a host (the value is not shown: it may hold a password)`);
    return undefined;
  }
  if (flags.DB_PATH !== undefined || env.DB_PATH !== undefined) {
    problems.push(
      `${named("DB_PATH")} and ${named("DATABASE_URL")} are both set: history goes to one database; unset DB_PATH to keep it in PostgreSQL or DATABASE_URL to keep it in SQLite`,
    );
    return undefined;
  }
  return url.data;
}
