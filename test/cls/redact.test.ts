import { describe, expect, test } from "bun:test";
import type { ClsClient } from "../../src/cls/client.ts";
import { encodedForms, REDACTED, redact, redactingClient } from "../../src/cls/redact.ts";
import { ClsError } from "../../src/errors.ts";

const KEY = 'nvapi-ab"c\\d/e&f<g>h i+j=k~l';

/** True when any encoding of the key, or any 6-character piece of one, is in text. */
function leaks(text: string, key = KEY): boolean {
  return encodedForms(key).some((form) => {
    for (let i = 0; i + 6 <= form.length; i++) if (text.includes(form.slice(i, i + 6))) return true;
    return false;
  });
}

describe("redact", () => {
  test.each([
    ["raw", KEY],
    ["JSON-escaped", JSON.stringify(KEY).slice(1, -1)],
    ["JSON-escaped with \\/", JSON.stringify(KEY).slice(1, -1).replaceAll("/", "\\/")],
    ["HTML-escaped", KEY.replaceAll("&", "&amp;").replaceAll('"', "&quot;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")],
    ["URL-encoded", encodeURIComponent(KEY)],
    ["form-encoded", new URLSearchParams({ k: KEY }).toString().slice(2)],
    ["base64", Buffer.from(KEY).toString("base64")],
    ["base64url", Buffer.from(KEY).toString("base64url")],
  ])("%s", (_name, echoed) => {
    const out = redact(`{"message":"invalid key ${echoed} given"}`, KEY);
    expect(out).toContain(REDACTED);
    expect(out).toContain("invalid key");
    expect(leaks(out)).toBe(false);
  });

  test.each([0, 1, 2])("base64 of the key inside a longer run, at byte offset %i (an echoed Basic header)", (pad) => {
    const header = Buffer.from(`${"u".repeat(pad + 3)}:${KEY}`).toString("base64");
    expect(redact(`Authorization: Basic ${header}`, KEY)).not.toContain(header.slice(-20, -4));
  });

  test("a key cut by the end of a truncated text loses its first part too, in any encoding", () => {
    for (const form of encodedForms(KEY)) {
      for (const keep of [1, 5, form.length - 1]) {
        const out = redact(`401 unauthorized: ${form.slice(0, keep)}`, KEY, { truncated: true });
        expect(out).toStartWith("401 unauthorized: ");
        expect(out.endsWith(form.slice(0, keep))).toBe(false);
      }
    }
  });

  test("a text that is not truncated keeps its tail; an empty key redacts nothing", () => {
    expect(redact("ends with nva", "nvapi-123")).toBe("ends with nva");
    expect(redact("anything", "")).toBe("anything");
  });
});

describe("redactingClient", () => {
  const failing = (err: unknown): ClsClient => ({
    list: async () => {
      throw err;
    },
  });
  const budget = { signal: new AbortController().signal, deadline: Number.MAX_SAFE_INTEGER };

  test("a ClsError keeps kind, endpoint and status, with its text redacted", async () => {
    const client = redactingClient(failing(new ClsError("http", "leases", `HTTP 500: echo ${KEY}`, 500)), () => KEY);
    const err = (await client.list("virtual_groups", {}, budget).catch((e) => e)) as ClsError;
    expect(err).toBeInstanceOf(ClsError);
    expect([err.kind, err.endpoint, err.status]).toEqual(["http", "leases", 500]);
    expect(err.message).toBe(`leases: http 500: HTTP 500: echo ${REDACTED}`);
  });

  test("any other error becomes a decode failure of the endpoint, redacted", async () => {
    const client = redactingClient(failing(new SyntaxError(`JSON Parse error: Unexpected identifier "${KEY}"`)), () => KEY);
    const err = (await client.list("virtual_groups", {}, budget).catch((e) => e)) as ClsError;
    expect([err.kind, err.endpoint]).toEqual(["decode", "virtual_groups"]);
    expect(leaks(err.message)).toBe(false);
  });
});
