import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openFolder } from "../../src/capture/folder.ts";
import { Pseudonyms } from "../../src/capture/pseudonym.ts";
import { createRecorder } from "../../src/capture/recorder.ts";
import { keptBody } from "../../src/capture/scrub-body.ts";
import { scrubJson } from "../../src/capture/scrub-json.ts";
import { scrubPath } from "../../src/capture/scrub-request.ts";
import { readUpTo } from "../../src/capture/tap.ts";
import { DEFAULT_CLS_LIMITS } from "../../src/cls/limits.ts";

const SECRET = "fixed-test-secret";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("pseudonyms", () => {
  test("stable for one secret, different under another, of the same shape", () => {
    const p = new Pseudonyms(SECRET);
    const id = "ee1f75a7-4ce5-589b-a846-44b96a1fc5dd";
    expect(p.string(id)).toMatch(UUID);
    expect(p.string(id)).not.toBe(id);
    expect(new Pseudonyms(SECRET).string(id)).toBe(p.string(id));
    expect(new Pseudonyms("other").string(id)).not.toBe(p.string(id));
    expect(p.string("PK-4101-01")).toMatch(/^[A-Z]{2}-\d{4}-\d{2}$/);
    expect(p.string("cls-hq-prod")).toMatch(/^[a-z]{3}-[a-z]{2}-[a-z]{4}$/);
    expect(p.string("")).toBe("");
  });

  test("a numeric id stays an integer, the same digits as its text in a path", () => {
    const p = new Pseudonyms(SECRET);
    const n = p.number(4101);
    expect(Number.isSafeInteger(n)).toBe(true);
    expect(n).not.toBe(4101);
    expect(p.string("4101")).toBe(String(n));
  });

  test("distinct originals never share a pseudonym", () => {
    const p = new Pseudonyms(SECRET);
    const seen = new Set<string>();
    for (let i = 0; i < 2_000; i++) seen.add(p.string(String.fromCharCode(97 + (i % 26)).repeat(1 + Math.floor(i / 26))));
    for (let i = 0; i < 500; i++) seen.add(String(p.number(i)));
    expect(seen.size).toBe(2_500);
  });
});

describe("scrubbing a JSON answer", () => {
  test("identities replaced, joins kept; names of features, counts, dates, paging and field names kept; unknown fields' strings scrubbed", () => {
    const p = new Pseudonyms(SECRET);
    const body = {
      licenseServers: [
        {
          id: "ee1f75a7-4ce5-589b-a846-44b96a1fc5dd",
          name: "cls-hq-prod",
          virtualGroupId: 4101,
          serviceInstanceId: "ae65bb2a-e7e2-5f70-bb4c-b4d3e3bd12ac",
          licenseServerFeatures: [{ id: "06c33880-a78f-5222-8173-ee0c64cdf5b7", featureName: "NVIDIA Virtual PC", totalQuantity: 40 }],
          someNewThing: "customer-secret-name",
          endDate: "2027-12-31T23:59:59Z",
        },
      ],
      paginationInfo: { pageNumber: 1, pageSize: 25, totalPages: 1, totalElements: 1 },
    };
    const lease = {
      licenseAllotmentFeatureId: "06c33880-a78f-5222-8173-ee0c64cdf5b7",
      additionalProperties: { license_server_id: body.licenseServers[0]!.id },
    };
    const out = scrubJson(body, p) as typeof body;
    const s = out.licenseServers[0]!;
    const l = scrubJson(lease, p) as typeof lease;
    expect(s.id).not.toBe(body.licenseServers[0]!.id);
    expect(l.additionalProperties.license_server_id).toBe(s.id);
    expect(l.licenseAllotmentFeatureId).toBe(s.licenseServerFeatures[0]!.id);
    expect(typeof s.virtualGroupId).toBe("number");
    expect(s.virtualGroupId).not.toBe(4101);
    expect(s.name).not.toBe("cls-hq-prod");
    expect(s.someNewThing).not.toBe("customer-secret-name");
    expect(s.licenseServerFeatures[0]!.featureName).toBe("NVIDIA Virtual PC");
    expect(s.licenseServerFeatures[0]!.totalQuantity).toBe(40);
    expect(s.endDate).toBe("2027-12-31T23:59:59Z");
    expect(out.paginationInfo).toEqual(body.paginationInfo);
    expect(Object.keys(s)).toEqual(Object.keys(body.licenseServers[0]!));
  });

  test("a path's identities are replaced like the bodies' (org, group, server), the API's own segments kept", () => {
    const p = new Pseudonyms(SECRET);
    const path = scrubPath(
      "/cls/v1/org/lic-example/virtual-groups/4101/license-servers/ee1f75a7-4ce5-589b-a846-44b96a1fc5dd/license-pools",
      "/cls",
      p,
    );
    expect(path).toBe(
      `/v1/org/${p.string("lic-example")}/virtual-groups/${p.number(4101)}/license-servers/${p.string("ee1f75a7-4ce5-589b-a846-44b96a1fc5dd")}/license-pools`,
    );
  });

  test("a non-JSON body is not kept and its stand-in is not JSON; a gzip body is scrubbed inflated; compressedClients re-compressed", async () => {
    const p = new Pseudonyms(SECRET);
    const html = await keptBody(new TextEncoder().encode("<html>org lic-example</html>"), false, "text/html", DEFAULT_CLS_LIMITS, p);
    expect(html.kind).toBe("standin");
    if (html.kind !== "standin") return;
    expect(html.text).not.toContain("lic-example");
    expect(() => JSON.parse(html.text)).toThrow();

    const gz = Bun.gzipSync(new TextEncoder().encode(JSON.stringify({ virtualGroups: [{ id: 7, name: "Team Blue" }] })));
    const kept = await keptBody(gz, true, "application/json", DEFAULT_CLS_LIMITS, p);
    expect(kept.kind).toBe("json");
    if (kept.kind === "json") expect(JSON.parse(kept.text)).toEqual({ virtualGroups: [{ id: p.number(7), name: p.string("Team Blue") }] });

    const inner = { clients: [{ leases: [{ leaseId: "lease-0001-abcdef", featureName: "NVIDIA Virtual PC" }] }] };
    const compressed = Buffer.from(Bun.gzipSync(new TextEncoder().encode(JSON.stringify(inner)))).toString("base64");
    const c = await keptBody(
      new TextEncoder().encode(JSON.stringify({ compressedClients: compressed })),
      false,
      "application/json",
      DEFAULT_CLS_LIMITS,
      p,
    );
    if (c.kind !== "json") throw new Error(c.kind);
    const b64 = (JSON.parse(c.text) as { compressedClients: string }).compressedClients;
    const back = JSON.parse(new TextDecoder().decode(Bun.gunzipSync(Buffer.from(b64, "base64")))) as typeof inner;
    expect(back.clients[0]!.leases[0]).toEqual({ leaseId: p.string("lease-0001-abcdef"), featureName: "NVIDIA Virtual PC" });
  });
});

describe("reading a body for the capture", () => {
  const streamed = (parts: Uint8Array[], fail?: Error) =>
    new Response(
      new ReadableStream<Uint8Array>({
        pull(c) {
          const next = parts.shift();
          if (next) c.enqueue(next);
          else if (fail) c.error(fail);
          else c.close();
        },
      }),
      { status: 200, headers: { "content-type": "application/json" } },
    );

  test("past the bound without a Content-Length: no more than the bound is read ahead, and the client still gets every byte", async () => {
    const parts = Array.from({ length: 8 }, (_, i) => new Uint8Array(1_000).fill(48 + i));
    const whole = Buffer.concat(parts);
    const tapped = await readUpTo(streamed([...parts]), 2_500);
    expect(tapped.kind).toBe("over");
    if (tapped.kind === "over") expect(tapped.bytes).toBe(3_000);
    expect(Buffer.from(await tapped.response.arrayBuffer()).equals(whole)).toBe(true);
  });

  test("a body that breaks off: recorded as broken, and the client's read breaks too", async () => {
    const tapped = await readUpTo(streamed([new Uint8Array(10)], new Error("reset")), 1_000);
    expect(tapped.kind).toBe("broken");
    await expect(tapped.response.arrayBuffer()).rejects.toThrow();
  });
});

describe("the recorder", () => {
  const dirs: string[] = [];
  const fresh = () => {
    const d = join(mkdtempSync(join(tmpdir(), "cls-capture-unit-")), "cap");
    dirs.push(d);
    return d;
  };

  test("hands the client CLS's bytes unchanged (gzip stays gzip) and records a failed call without a body", async () => {
    const dir = fresh();
    const folder = await openFolder(dir);
    const gz = Bun.gzipSync(new TextEncoder().encode('{"licensePools":[]}'));
    let calls = 0;
    const inner = async (): Promise<Response> => {
      if (++calls === 1) throw Object.assign(new Error("connect ECONNREFUSED 10.0.0.1"), { name: "ConnectionRefused" });
      return new Response(gz, { status: 200, headers: { "content-type": "application/json", "content-encoding": "gzip" } });
    };
    const key = "unit-key-abcdef012345";
    const rec = createRecorder(inner, {
      limits: DEFAULT_CLS_LIMITS,
      baseUrl: "http://127.0.0.1:1",
      pseudonyms: new Pseudonyms(SECRET),
      folder,
      apiKey: () => key,
      now: Date.now,
    });
    const url = "http://127.0.0.1:1/v1/org/acme/virtual-groups/1/license-servers/s1/license-pools";
    const init = { method: "GET", headers: { "x-api-key": key } };
    await expect(rec.fetch(url, init)).rejects.toThrow("ECONNREFUSED");
    const res = await rec.fetch(url, init);
    expect(res.headers.get("content-encoding")).toBe("gzip");
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array(gz));
    const entries = await rec.finish();
    expect(entries.map((e) => e.outcome)).toEqual(["network", "answered"]);
    expect(entries[0]!.body).toBeUndefined();
    expect(entries[0]!.error).toBe("ConnectionRefused");
    expect(entries[1]!.body).toEqual({ kind: "json", file: "0002.json", gzip: true });
    expect(JSON.stringify(entries)).not.toContain(key);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const f of readdirSync(dir)) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
  });

  test("a full disk: the failure is remembered with a clear message, later writes skipped, nothing thrown", async () => {
    const enospc = async () => {
      throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    };
    const folder = await openFolder(fresh(), enospc);
    await folder.write("0001.json", "{}");
    await folder.write("0002.json", "{}");
    expect(folder.failure).toContain("the disk is full");
    expect(folder.written.files).toBe(0);
  });
  afterAll(() => {
    for (const d of dirs) rmSync(join(d, ".."), { recursive: true, force: true });
  });
});
