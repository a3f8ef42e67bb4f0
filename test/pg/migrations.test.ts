import { expect, test } from "bun:test";
import { generateOver } from "../store/helpers.ts";

test("migrations/postgres/ matches src/store/pg/schema.ts (drizzle-kit finds nothing to generate)", () => {
  const { text, sameFiles } = generateOver("postgresql", "./src/store/pg/schema.ts", "migrations/postgres");
  expect(text).toContain("No schema changes");
  expect(sameFiles).toBe(true);
});
