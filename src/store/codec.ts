import { eq } from "drizzle-orm";
import type { z } from "zod";
import { type Snapshot, snapshotSchema } from "../snapshot/types.ts";
import type { Db } from "./db.ts";
import { snapshots } from "./schema.ts";

/** Bump when the JSON layout of a stored snapshot changes; an unknown layout is not restored. */
export const SNAPSHOT_FORMAT = 1;

export function encodeSnapshot(s: Snapshot): string {
  // Compile-time contract: every snapshot is a value the schema reads back.
  const body: z.input<typeof snapshotSchema> = s;
  return JSON.stringify(body);
}

/** The stored snapshot, or a reason it cannot be used. */
export function decodeSnapshot(body: string, format: number): Snapshot | { problem: string } {
  if (format !== SNAPSHOT_FORMAT) return { problem: `stored snapshot has layout ${format}, this version reads ${SNAPSHOT_FORMAT}` };
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { problem: "stored snapshot is not valid JSON" };
  }
  // What a restart trusts: a body that does not match is ignored with a log line, never half-used.
  const parsed = snapshotSchema.safeParse(json);
  if (!parsed.success) return { problem: `stored snapshot does not match its layout: ${parsed.error.issues[0]?.message ?? "invalid"}` };
  return parsed.data;
}

/** The org's stored snapshot, a reason it cannot be used, or undefined when none was stored. */
export function readStoredSnapshot(db: Db, orgName: string): Snapshot | { problem: string } | undefined {
  const row = db.select().from(snapshots).where(eq(snapshots.orgName, orgName)).get();
  return row && decodeSnapshot(row.body, row.format);
}
