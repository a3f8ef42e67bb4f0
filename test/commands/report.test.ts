import { describe, expect, test } from "bun:test";
import { ENDPOINTS, kindsOf } from "../../src/cls/endpoints.ts";
import { FieldWatch, MAX_NAMES_PER_KIND, NAME_NOT_SHOWN } from "../../src/cls/fields.ts";
import { DiagnosisCollector } from "../../src/commands/collector.ts";
import { type Diagnosis, diagnose } from "../../src/commands/diagnosis.ts";
import { diagnosisReport, printable } from "../../src/commands/report.ts";
import type { Snapshot } from "../../src/snapshot/types.ts";
import { emptySnapshot } from "../snapshot/fixture.ts";

const snapshot = (over: Partial<Snapshot> = {}): Snapshot => emptySnapshot({ invalidReasons: [], ...over });

const leasesOf = (d: Diagnosis) => d.endpoints.find((e) => e.endpoint === "leases")!;

describe("the diagnosis", () => {
  test("calls are first attempts, retries the others; latency is the median and max of every attempt", () => {
    const c = new DiagnosisCollector();
    for (const [ms, retry, outcome] of [
      [1, 0, "200"],
      [20, 0, "503"],
      [10, 1, "200"],
      [3, 0, "200"],
    ] as const)
      c.onAttempt("leases", outcome, ms, retry);
    const e = leasesOf(diagnose(c, snapshot()));
    expect([e.calls, e.retries]).toEqual([3, 1]);
    expect(e.outcomes).toEqual({ "200": 3, "503": 1 });
    expect(e.latencyMs).toEqual({ median: 7, max: 20 });
    expect(diagnose(new DiagnosisCollector(), snapshot()).endpoints.every((x) => x.latencyMs === null)).toBe(true);
  });

  test("skipped items are those without an id; the others are unreadable, by reason; either makes exit 1", () => {
    const s = snapshot({
      invalidItems: [["leases", 3]],
      invalidReasons: [
        ["leases", "no_id", 1],
        ["leases", "wrong_type", 2],
        ["leases", "out_of_range", 1],
      ],
    });
    const d = diagnose(new DiagnosisCollector(), s);
    const e = leasesOf(d);
    expect([e.skipped, e.unreadable, e.unreadableByReason]).toEqual([1, 2, { wrong_type: 2, out_of_range: 1 }]);
    expect(d.exitCode).toBe(1);
    expect(d.causes.map((c) => [c.endpoint, c.reason, c.parts])).toEqual([["leases", "invalid_items", 3]]);
    expect(diagnose(new DiagnosisCollector(), snapshot()).exitCode).toBe(0);
  });

  test("names through a FieldWatch: items by kind (nested objects are not items), unread and never-sent names, kinds not seen", () => {
    const c = new DiagnosisCollector();
    const watch = new FieldWatch(c.sink);
    const row = ENDPOINTS.leases;
    const client = { leases: [], additionalProperties: { license_server_id: "s", surprise: 1 }, hostname: "h" };
    watch.observe("leases", row.envelope.answer, undefined, { clients: [client, client] });
    watch.observe("leases", row.schema.kind, row.schema, client);
    watch.observe("leases", row.schema.kind, row.schema, client);
    // A list element that is no object is an item too (the parser counts it invalid).
    watch.observe("leases", row.schema.kind, row.schema, 42);
    const e = leasesOf(diagnose(c, snapshot()));
    expect(e.itemsByKind).toEqual({ client: 3 });
    expect(e.items).toBe(3);
    expect(e.unread.unknown).toEqual({ client: ["hostname"], additionalProperties: ["surprise"] });
    expect(e.neverSent).toEqual({ answer: ["compressedClients"], additionalProperties: ["license_server_name"] });
    expect(e.kindsNotSeen).toEqual(["lease"]);
    expect(kindsOf("leases").map((k) => k.name)).toEqual(["answer", "client", "additionalProperties", "lease"]);
  });

  test("a kind with more names than are watched says so, in the diagnosis and the text", () => {
    const c = new DiagnosisCollector();
    const row = ENDPOINTS.leases;
    const hostile = Object.fromEntries(Array.from({ length: MAX_NAMES_PER_KIND + 1 }, (_, i) => [`n${i}`, i]));
    new FieldWatch(c.sink).observe("leases", row.schema.kind, row.schema, hostile);
    const e = leasesOf(diagnose(c, snapshot()));
    expect(e.namesPastBound).toEqual(["client"]);
    expect(e.unread.unknown.client).toHaveLength(MAX_NAMES_PER_KIND);
    expect(diagnosisReport(c, snapshot(), "text")).toContain(`more than ${MAX_NAMES_PER_KIND} names, the rest not listed: client`);
  });

  test("the paging shape: none without paginationInfo, members recognised or not", () => {
    const c = new DiagnosisCollector();
    c.sink.page!("virtual_groups", ["pageNumber", "totalPages"]);
    c.sink.page!("virtual_groups", ["pageNumber", "last"]);
    c.sink.page!("virtual_groups", undefined);
    c.sink.page!("license_pools", undefined);
    const d = diagnose(c, snapshot());
    expect(d.endpoints[0]!.pages).toBe(3);
    expect(d.endpoints[0]!.paging).toEqual({
      shape: "unrecognised",
      recognised: ["pageNumber", "totalPages"],
      unrecognised: ["last"],
      pagesWithout: 1,
      pastBound: 0,
    });
    expect(d.endpoints.find((e) => e.endpoint === "license_pools")!.paging.shape).toBe("none");
  });
});

describe("the report", () => {
  const hostile = "bad\u001b[2J\u009b31m\u202eevil\u2028";

  test("no character that steers a terminal reaches it, in text or json; a name that is not shaped like one is not shown at all", () => {
    const c = new DiagnosisCollector();
    c.sink.field("leases", "client", hostile, "unknown");
    c.sink.page!("leases", [hostile]);
    const text = diagnosisReport(c, snapshot(), "text");
    const json = diagnosisReport(c, snapshot(), "json");
    // Every control but the report's own newlines, and the format and separator characters.
    for (const out of [text, json]) expect(out.replaceAll("\n", "")).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}]/u);
    expect(text).not.toContain("evil");
    expect(text).toContain(NAME_NOT_SHOWN);
    // Names that are shown are still escaped (defence in depth: every name shown is field-shaped today).
    expect(printable(hostile)).toBe("bad\\u001b[2J\\u009b31m\\u202eevil\\u2028");
    const d = JSON.parse(json) as Diagnosis;
    expect(leasesOf(d).unread.unknown.client).toEqual([NAME_NOT_SHOWN]);
    expect(leasesOf(d).paging.unrecognised).toEqual([NAME_NOT_SHOWN]);
  });

  test("text: one aligned row per endpoint, then the verdict with each cause's hint", () => {
    const s = snapshot({
      failures: [{ endpoint: "virtual_groups", reason: "401", status: 401, message: "HTTP 401 for group 4101", stale: false }],
    });
    const text = diagnosisReport(new DiagnosisCollector(), s, "text");
    const rows = text.split("\n").filter((l) => /^(endpoint|virtual_groups|license_servers|license_pools|leases) /.test(l));
    expect(rows.length).toBe(5);
    // Aligned: the last column is right-aligned, the paging column (here "none" everywhere) starts under its title.
    expect(new Set(rows.map((r) => r.length)).size).toBe(1);
    expect(rows.slice(1).map((r) => r.indexOf(" none ") + 1)).toEqual(rows.slice(1).map(() => rows[0]!.indexOf("paging")));
    expect(text).toContain("virtual_groups 401 (1 part(s)): CLS rejected the API key: check NVIDIA_API_KEY");
    // A failure's message may quote an id (a path, an answer): the report never shows it.
    expect(text).not.toContain("4101");
    expect(text.trimEnd().endsWith("CLS rejected the API key: check NVIDIA_API_KEY")).toBe(true);
  });
});

describe("names that are data", () => {
  test("a map keyed by ids, hosts or e-mails (additionalProperties, paginationInfo) is shown as one placeholder, never its keys", () => {
    const c = new DiagnosisCollector();
    const row = ENDPOINTS.leases;
    const additionalProperties = {
      license_server_id: "s",
      "ee1f75a7-4ce5-589b-a846-44b96a1fc5dd": 1,
      "gpu-node-7.acme.example": 2,
      "jane.doe@acme.example": 3,
      4101: 4,
      ipv4Address: "10.0.0.1",
    };
    new FieldWatch(c.sink).observe("leases", row.schema.kind, row.schema, { leases: [], additionalProperties });
    c.sink.page!("leases", ["pageNumber", "lic-example-prod"]);
    const report = diagnosisReport(c, snapshot(), "text") + diagnosisReport(c, snapshot(), "json");
    for (const leak of ["ee1f75a7", "gpu-node", "acme", "4101", "lic-example"])
      expect([leak, report.includes(leak)]).toEqual([leak, false]);
    const e = leasesOf(diagnose(c, snapshot()));
    expect(e.unread.unknown.additionalProperties).toEqual([NAME_NOT_SHOWN, "ipv4Address"].sort());
    expect(e.paging.unrecognised).toEqual([NAME_NOT_SHOWN]);
  });
});
