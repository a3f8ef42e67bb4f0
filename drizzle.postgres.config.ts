import { defineConfig } from "drizzle-kit";

/** `npm run db:generate` writes a new migration into migrations/postgres/ after src/store/pg/schema.ts changed. */
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/store/pg/schema.ts",
  out: "./migrations/postgres",
});
