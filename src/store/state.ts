import { and, eq, sql } from "drizzle-orm";
import type { Db } from "./db.ts";
import { storeState } from "./schema.ts";

/** The per-org progress markers kept in store_state (see schema.ts). */
export type StateName = "observed_until" | "rolled_until";

const p = sql.placeholder;

/** Reads and writes one org's markers through two prepared statements shared by writer, roll-up and reader. */
export class OrgState {
  private readonly read;
  private readonly write;

  constructor(
    db: Db,
    private readonly orgName: string,
  ) {
    this.read = db
      .select({ value: storeState.value })
      .from(storeState)
      .where(and(eq(storeState.orgName, p("org")), eq(storeState.name, p("name"))))
      .prepare();
    this.write = db
      .insert(storeState)
      .values({ orgName: p("org"), name: p("name"), value: p("value") })
      .onConflictDoUpdate({ target: [storeState.orgName, storeState.name], set: { value: sql`excluded.value` } })
      .prepare();
  }

  get(name: StateName): number | undefined {
    return this.read.get({ org: this.orgName, name })?.value;
  }

  set(name: StateName, value: number): void {
    this.write.run({ org: this.orgName, name, value });
  }
}
