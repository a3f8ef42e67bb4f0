import { expect, test } from "bun:test";
import { StoreError } from "../../src/errors.ts";
import { pgStoreError, redactedUrl, scrub } from "../../src/store/pg/errors.ts";

test("the URL is shown without its password or query", () => {
  expect(redactedUrl("postgresql://app:p%40ss@db.example:5432/history?sslmode=require&password=x")).toBe(
    "postgresql://app@db.example:5432/history",
  );
  expect(redactedUrl("postgres://db.example/history")).toBe("postgres://db.example/history");
  expect(redactedUrl("postgres://[not a url")).toBe("(a URL that cannot be parsed)");
});

test("the password is removed from texts in every form the URL holds it", () => {
  const url = "postgres://app:p%40ss-word@db.example/h?sslpassword=key-pass";
  expect(scrub("said p%40ss-word, p@ss-word and key-pass", url)).toBe("said ***, *** and ***");
  expect(scrub("no secret here", "postgres://app@db.example/h")).toBe("no secret here");
});

test("driver and server errors become StoreErrors with a reason from the closed list", () => {
  const url = "postgres://app:hunter22@db.example/h";
  const refused = pgStoreError(Object.assign(new Error("connect ECONNREFUSED hunter22"), { code: "ECONNREFUSED" }), url, "history");
  expect(refused).toBeInstanceOf(StoreError);
  expect(refused.reason).toBe("cannot_open");
  expect(refused.message).toBe("history (postgres://app@db.example/h): connect ECONNREFUSED ***");
  expect(pgStoreError(Object.assign(new Error("x"), { code: "55P03" }), url, "history").reason).toBe("busy");
  expect(pgStoreError(new Error("something else"), url, "history").reason).toBe("error");
  expect(pgStoreError(new StoreError("foreign", "not ours"), url, "history").reason).toBe("foreign");
});
