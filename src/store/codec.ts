import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Snapshot } from "../snapshot/types.ts";
import type { Db } from "./db.ts";
import { snapshots } from "./schema.ts";

/** Bump when the JSON layout of a stored snapshot changes; an unknown layout is not restored. */
export const SNAPSHOT_FORMAT = 1;

const labels = z.record(z.string(), z.string());
// JSON turns a non-finite number into null: read it back as "not reported".
const num = z
  .number()
  .nullish()
  .transform((v) => v ?? undefined);

/** What a restart trusts: a body that does not match is ignored with a log line, never half-used. */
const snapshotSchema = z.object({
  collectedAt: z.number(),
  durationMs: z.number(),
  up: z.boolean(),
  entitlements: z.array(z.object({ labels, total: num, inUse: num, unassigned: num, end: num })),
  servers: z.array(z.object({ labels })),
  serverFeatures: z.array(z.object({ labels, total: num, active: num })),
  pools: z.array(z.object({ labels, allotment: num, inUse: num })),
  unattributed: z.array(z.object({ labels, count: z.number() })),
  invalidItems: z.array(z.tuple([z.string(), z.number()])),
  failures: z.array(z.object({ endpoint: z.string(), reason: z.string(), message: z.string(), stale: z.boolean() })),
});

export function encodeSnapshot(s: Snapshot): string {
  return JSON.stringify(s);
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
  const parsed = snapshotSchema.safeParse(json);
  if (!parsed.success) return { problem: `stored snapshot does not match its layout: ${parsed.error.issues[0]?.message ?? "invalid"}` };
  return parsed.data as Snapshot;
}

/** The org's stored snapshot, a reason it cannot be used, or undefined when none was stored. */
export function readStoredSnapshot(db: Db, orgName: string): Snapshot | { problem: string } | undefined {
  const row = db.select().from(snapshots).where(eq(snapshots.orgName, orgName)).get();
  return row && decodeSnapshot(row.body, row.format);
}
