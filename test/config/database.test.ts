import { describe, expect, test } from "bun:test";
import { type ConfigSources, loadConfig, usage } from "../../src/config/index.ts";
import { ConfigError } from "../../src/errors.ts";

const PASSWORD = "pg-s3cret-pass-9f2e";
const PG = `postgres://cls:${PASSWORD}@db.internal:5432/history?sslmode=require`;
const base = { NVIDIA_API_KEY: "sk-live-0123456789abcdef", NVIDIA_ORG_NAME: "lic-example" };
const noFile = (): string => {
  throw Object.assign(new Error("nope"), { code: "ENOENT" });
};
const load = (env: Record<string, string | undefined>, argv: string[] = []) => loadConfig({ env, argv, readFile: noFile } as ConfigSources);

function problems(env: Record<string, string | undefined>, argv: string[] = []): string[] {
  try {
    load(env, argv);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).not.toContain(PASSWORD);
    return [...(err as ConfigError).problems];
  }
  throw new Error("expected a ConfigError");
}

describe("DATABASE_URL selects the history's engine", () => {
  test("unset: SQLite at DB_PATH, no note", () => {
    const c = load(base);
    expect(c.databaseUrl).toBeUndefined();
    expect(c.notes).toEqual([]);
  });

  test("postgres:// and postgresql:// select PostgreSQL, from the variable or the flag", () => {
    expect(load({ ...base, DATABASE_URL: PG }).databaseUrl).toBe(PG);
    const other = PG.replace("postgres:", "postgresql:");
    expect(load(base, [`-database-url=${other}`]).databaseUrl).toBe(other);
    // The flag wins over the variable, as for every setting.
    expect(load({ ...base, DATABASE_URL: PG }, ["--database-url", other]).databaseUrl).toBe(other);
  });

  test("it wins over the Railway-derived DB_PATH", () => {
    const c = load({ ...base, DATABASE_URL: PG, RAILWAY_VOLUME_MOUNT_PATH: "/data" });
    expect(c.databaseUrl).toBe(PG);
  });

  test("DB_PATH set explicitly as well is an error naming both, without the password", () => {
    expect(problems({ ...base, DATABASE_URL: PG, DB_PATH: "/data/h.db" })).toEqual([
      "DB_PATH and DATABASE_URL are both set: history goes to one database; unset DB_PATH to keep it in PostgreSQL or DATABASE_URL to keep it in SQLite",
    ]);
    const [flagged] = problems(base, ["-db-path=/data/h.db", `-database-url=${PG}`]);
    expect(flagged).toStartWith("-db-path and -database-url are both set");
  });

  test("another scheme is ignored with one note; SQLite stays", () => {
    const c = load({ ...base, DATABASE_URL: "mysql://app:hunter2@db:3306/app" });
    expect(c.databaseUrl).toBeUndefined();
    expect(c.notes).toHaveLength(1);
    expect(c.notes[0]).toContain('scheme is "mysql"');
    expect(c.notes[0]).not.toContain("hunter2");
    // With another scheme, DB_PATH set as well is fine: the URL was meant for other software.
    expect(load({ ...base, DATABASE_URL: "redis://x:6379", DB_PATH: "/tmp/h.db" }).dbPath).toBe("/tmp/h.db");
  });

  test("a postgres URL without a host is refused without quoting it", () => {
    expect(problems({ ...base, DATABASE_URL: `postgres://:${PASSWORD}@/db` })).toEqual([
      "DATABASE_URL: not a valid postgres:// URL with a host (the value is not shown: it may hold a password)",
    ]);
  });

  test("--help names the setting and never shows its value", () => {
    const text = usage();
    expect(text).toContain("DATABASE_URL");
    expect(text).not.toContain(PASSWORD);
  });
});
