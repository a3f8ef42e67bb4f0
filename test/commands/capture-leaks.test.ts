import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openFolder } from "../../src/capture/folder.ts";
import type { CaptureEntry } from "../../src/capture/manifest.ts";
import { Pseudonyms } from "../../src/capture/pseudonym.ts";
import { createRecorder } from "../../src/capture/recorder.ts";
import { scrubJson } from "../../src/capture/scrub-json.ts";
import { DEFAULT_CLS_LIMITS } from "../../src/cls/limits.ts";

/** Where an identity hides from a scrubber that only looks at values under id-like names. */
const SECRET = "leak-test-secret";
const ORG = "acmecorp";

const scrubbed = (body: unknown, p = new Pseudonyms(SECRET)) => JSON.stringify(scrubJson(body, p));

describe("identities outside the values the scrubber reads as ids", () => {
  test("a map keyed by lease, host, user or org: the keys are replaced, field names (known or shaped like one) stay", () => {
    const p = new Pseudonyms(SECRET);
    p.string(ORG); // as the request paths register it
    const body = {
      leasesByClient: { "gpu-node-7.acme.example": 3, "lease-0001-abcdef": 1, jsmith: 2, [ORG]: 4 },
      owner: "jsmith",
      someNewThing: { licenseServers: [] },
    };
    const text = scrubbed(body, p);
    for (const leak of ["gpu-node-7", "acme.example", "lease-0001", "jsmith", ORG]) expect(text).not.toContain(leak);
    const out = JSON.parse(text) as { leasesByClient: Record<string, number> };
    expect(Object.keys(out.leasesByClient)).toHaveLength(4);
    // The same pseudonym as the value "jsmith" gets: what joins still joins.
    expect(Object.keys(out.leasesByClient)).toContain(p.string("jsmith"));
    expect(Object.keys(out)).toEqual(["leasesByClient", "owner", "someNewThing"]);
  });

  test("an integer under a name that does not end in Id is replaced unless the name is a count's; fractions and counts stay", () => {
    const p = new Pseudonyms(SECRET);
    const body = { accountNumber: 55512345, virtualGroup: 4101, serial: 998877, reservedQuantity: 7, leaseCount: 3, ratio: 0.25 };
    const out = JSON.parse(scrubbed(body, p)) as typeof body;
    expect(out.accountNumber).toBe(p.number(55512345));
    expect(out.virtualGroup).toBe(p.number(4101));
    expect(out.serial).toBe(p.number(998877));
    expect([out.reservedQuantity, out.leaseCount, out.ratio]).toEqual([7, 3, 0.25]);
  });

  test("free text under a field kept for its kind or state is replaced; one-word values, counts as text and feature names stay", () => {
    const body = {
      status: "License server cls-hq-prod at acme.example is down",
      type: "SUBSCRIPTION",
      totalQuantity: "n/a",
      featureName: "NVIDIA Virtual PC",
      endDate: "2027-12-31T23:59:59Z",
    };
    const out = JSON.parse(scrubbed(body)) as typeof body;
    expect(out.status).not.toContain("cls-hq-prod");
    expect(out.status).not.toContain("acme");
    // Free text keeps its length, not its words, spaces or punctuation.
    expect(out.status).toMatch(new RegExp(`^[a-z]{${body.status.length}}$`));
    expect({ ...out, status: "" }).toEqual({ ...body, status: "" });
  });
});

describe("the recorder's other texts", () => {
  const root = mkdtempSync(join(tmpdir(), "cls-capture-leaks-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const KEY = "leak-key-0123456789abcdef";

  async function record(respond: () => Promise<Response>, dir: string): Promise<CaptureEntry[]> {
    const rec = createRecorder(respond, {
      limits: DEFAULT_CLS_LIMITS,
      baseUrl: "http://127.0.0.1:1",
      pseudonyms: new Pseudonyms(SECRET),
      folder: await openFolder(join(root, dir)),
      apiKey: () => KEY,
      now: Date.now,
    });
    await rec.fetch(`http://127.0.0.1:1/v1/org/${ORG}/leases`, { headers: { "x-api-key": KEY } }).then(
      (r) => r.arrayBuffer(),
      () => undefined,
    );
    return rec.finish();
  }
  const filesOf = (dir: string) => readdirSync(join(root, dir)).map((f) => readFileSync(join(root, dir, f), "utf8"));

  test("the key echoed by CLS inside a compressed lease list (under a field kept as sent) is redacted inside it", async () => {
    const inner = JSON.stringify({ clients: [{ leases: [{ featureName: KEY, leaseCount: 1 }] }] });
    const compressedClients = Buffer.from(Bun.gzipSync(new TextEncoder().encode(inner))).toString("base64");
    await record(async () => Response.json({ compressedClients }), "compressed");
    const [body] = filesOf("compressed");
    const b64 = (JSON.parse(body!) as { compressedClients: string }).compressedClients;
    const back = new TextDecoder().decode(Bun.gunzipSync(Buffer.from(b64, "base64")));
    expect(back).not.toContain(KEY);
    expect(back).toContain("[redacted]");
  });

  test("an error's name that is not a class name, and header values of an odd shape, are not kept as sent", async () => {
    const failed = await record(async () => {
      throw Object.assign(new Error("x"), { name: "connect to db01.acme.example refused" });
    }, "error");
    expect(failed[0]!.error).toBe("Error");
    const headers = { "content-type": "text/html; server=db01.acme.example", "retry-after": "ask ops@acme.example" };
    const [entry] = await record(async () => new Response("<html>db01.acme.example</html>", { status: 503, headers }), "headers");
    const kept = JSON.stringify(entry) + filesOf("headers").join("");
    expect(kept).not.toContain("acme");
    expect(kept).not.toContain("db01");
    expect(entry!.responseHeaders?.["retry-after"]).toBeDefined();
  });
});
