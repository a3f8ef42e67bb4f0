import { defineConfig } from "drizzle-kit";

/** `bun run db:generate` writes a new migration into migrations/ after src/store/schema.ts changed. */
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/store/schema.ts",
  out: "./migrations",
});
