import { describe } from "bun:test";
import { engines } from "./engines.ts";
import { parityTests } from "./engines-parity.ts";
import { readTests } from "./engines-reads.ts";
import { writeTests } from "./engines-writes.ts";

/**
 * The behaviours both history engines share, run against each: SQLite (HistoryStore, a temporary
 * file) and PostgreSQL (PgHistoryStore, a database of one real server for this file). Answers are
 * checked against expected values, so either engine diverging fails its own tests; then both record
 * one eventful history and must give equal answers. Engine-specific faults stay elsewhere:
 * test/store/store.test.ts (files), owner.test.ts (owner lock), test/pg/ (migrations, server errors).
 */
const both = engines();
for (const engine of both) {
  describe(engine.name, () => {
    describe("recording", () => writeTests(engine));
    describe("reading", () => readTests(engine));
  });
}
describe("both engines, one answer", () => parityTests(both));
