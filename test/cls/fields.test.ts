import { describe, expect, test } from "bun:test";
import { z } from "zod";
import type { EndpointName } from "../../src/cls/endpoints.ts";
import {
  type FieldSink,
  type FieldUse,
  FieldWatch,
  MAX_LOGGED_NAMES,
  MAX_NAME_LENGTH,
  MAX_NAMES_PER_KIND,
  NAME_NOT_SHOWN,
  objectKind,
  unreadFieldLog,
} from "../../src/cls/fields.ts";
import type { Fields, Logger } from "../../src/log.ts";

/** What a sink heard, as `endpoint kind name use` and `endpoint page members`. */
function recorder() {
  const fields: string[] = [];
  const pages: (readonly string[] | undefined)[] = [];
  const overflows: string[] = [];
  const sink: FieldSink = {
    field: (endpoint, kind, name, use) => void fields.push(`${endpoint} ${kind} ${name} ${use}`),
    page: (_endpoint, members) => void pages.push(members),
    overflow: (endpoint, kind) => void overflows.push(`${endpoint} ${kind}`),
  };
  return { sink, fields, pages, overflows };
}

const extra = objectKind("extra", ["a", "b"]);
const widget = objectKind("widget", ["id", "name", "colour", "extra"], { extra });
const widgetSchema = z.object({
  id: z.string(),
  name: z.string().optional(),
  extra: z.object({ a: z.number() }).optional().catch(undefined),
});
const LEASES: EndpointName = "leases";
const POOLS: EndpointName = "license_pools";

describe("FieldWatch", () => {
  test("each name classed: read by the schema, documented, or unknown", () => {
    const r = recorder();
    new FieldWatch(r.sink).observe(LEASES, widget, widgetSchema, { id: "1", name: "n", colour: "red", sparkle: true });
    expect(r.fields).toEqual([
      "leases widget id read",
      "leases widget name read",
      "leases widget colour documented",
      "leases widget sparkle unknown",
    ]);
  });

  test("a schema wrapped in optional()/catch() still tells what it reads", () => {
    const r = recorder();
    new FieldWatch(r.sink).observe(LEASES, widget, widgetSchema.optional().catch(undefined), { id: "1", colour: "red" });
    expect(r.fields).toEqual(["leases widget id read", "leases widget colour documented"]);
  });

  test("a nested plain object (additionalProperties) is watched as its own kind, with the nested schema", () => {
    const r = recorder();
    new FieldWatch(r.sink).observe(LEASES, widget, widgetSchema, { id: "1", extra: { a: 1, b: 2, c: 3 } });
    expect(r.fields).toEqual([
      "leases widget id read",
      "leases widget extra read",
      "leases extra a read",
      "leases extra b documented",
      "leases extra c unknown",
    ]);
  });

  test("each name once per endpoint and kind, in the order first sent", () => {
    const r = recorder();
    const watch = new FieldWatch(r.sink);
    const other = objectKind("other", []);
    for (let i = 0; i < 3; i++) watch.observe(LEASES, widget, widgetSchema, { id: "1", sparkle: i });
    watch.observe(LEASES, widget, widgetSchema, { glow: 1, sparkle: 2 });
    watch.observe(POOLS, widget, widgetSchema, { sparkle: 1 });
    watch.observe(LEASES, other, z.object({}), { sparkle: 1 });
    expect(r.fields).toEqual([
      "leases widget id read",
      "leases widget sparkle unknown",
      "leases widget glow unknown",
      "license_pools widget sparkle unknown",
      "leases other sparkle unknown",
    ]);
  });

  test(`a hostile object of 10,000 keys costs ${MAX_NAMES_PER_KIND} names per endpoint and kind, no more`, () => {
    const r = recorder();
    const watch = new FieldWatch(r.sink);
    const hostile = (prefix: string) => Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`${prefix}${i}`, i]));
    watch.observe(LEASES, widget, widgetSchema, hostile("k"));
    watch.observe(LEASES, widget, widgetSchema, hostile("j"));
    expect(r.fields).toHaveLength(MAX_NAMES_PER_KIND);
    expect(r.fields.at(-1)).toBe(`leases widget k${MAX_NAMES_PER_KIND - 1} unknown`);
    // Hitting the bound is told once, so the names past it are known to be missing.
    expect(r.overflows).toEqual(["leases widget"]);
    // Another endpoint (or kind) has a bound of its own.
    watch.observe(POOLS, widget, widgetSchema, hostile("k"));
    expect(r.fields).toHaveLength(2 * MAX_NAMES_PER_KIND);
    expect(r.overflows).toEqual(["leases widget", "license_pools widget"]);
  });

  test(`a name not shaped like a field name (longer than ${MAX_NAME_LENGTH}, a host, an id, an e-mail) is told once as NAME_NOT_SHOWN, never as sent`, () => {
    const r = recorder();
    const watch = new FieldWatch(r.sink);
    const exact = "y".repeat(MAX_NAME_LENGTH);
    const data = [
      "x".repeat(MAX_NAME_LENGTH + 1),
      "gpu-01.example.com",
      "4101",
      "ee1f75a7-4ce5-589b-a846-44b96a1fc5dd",
      "a@b.c",
      "two words",
    ];
    watch.observe(LEASES, widget, widgetSchema, {
      ...Object.fromEntries(data.map((d, i) => [d, i])),
      [exact]: 1,
      gpu01: 2,
      license_server_id: 3,
    });
    const names = r.fields.map((f) => f.split(" ").slice(2, -1).join(" "));
    expect(names.sort()).toEqual([NAME_NOT_SHOWN, exact, "gpu01", "license_server_id"].sort());
    for (const d of data) expect(r.fields.join("\n")).not.toContain(d);
  });

  test("paging: each page's paginationInfo member names; undefined when it has none or is not an object", () => {
    const r = recorder();
    const watch = new FieldWatch(r.sink);
    watch.page(LEASES, { pageNumber: 1, pageSize: 100, cursor: "abc" });
    watch.page(LEASES, { pageNumber: 2, pageSize: 100, cursor: "def" });
    watch.page(LEASES, undefined);
    watch.page(LEASES, [1, 2]);
    watch.page(LEASES, "next");
    watch.page(LEASES, { ["z".repeat(200)]: 1 });
    expect(r.pages).toEqual([
      ["pageNumber", "pageSize", "cursor"],
      ["pageNumber", "pageSize", "cursor"],
      undefined,
      undefined,
      undefined,
      [NAME_NOT_SHOWN],
    ]);
    const many = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`m${i}`, i]));
    watch.page(LEASES, many);
    expect(r.pages.at(-1)).toHaveLength(MAX_NAMES_PER_KIND);
  });

  test("items that are not plain objects (null, strings, numbers, arrays) are ignored, and so are nested arrays", () => {
    const r = recorder();
    const watch = new FieldWatch(r.sink);
    for (const raw of [null, undefined, "id", 7, true, [{ id: "1", sparkle: 1 }], ["id"]]) watch.observe(LEASES, widget, widgetSchema, raw);
    expect(r.fields).toEqual([]);
    // A nested kind's field holding an array (or a string) is not walked as that kind.
    watch.observe(LEASES, widget, widgetSchema, { extra: [{ c: 1 }] });
    watch.observe(POOLS, widget, widgetSchema, { extra: "c" });
    expect(r.fields).toEqual(["leases widget extra read", "license_pools widget extra read"]);
  });

  test("no sink: nothing is walked or kept", () => {
    const watch = new FieldWatch(undefined);
    watch.observe(LEASES, widget, widgetSchema, { sparkle: 1 });
    watch.page(LEASES, { pageNumber: 1 });
    expect((watch as unknown as { seen: Map<unknown, unknown> }).seen.size).toBe(0);
  });
});

/** A logger that keeps `level msg fields` of every line. */
function lines() {
  const out: { level: string; msg: string; fields: Fields | undefined }[] = [];
  const at = (level: string) => (msg: string, fields?: Fields) => void out.push({ level, msg, fields });
  const log: Logger = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
  return { log, out };
}

describe("unreadFieldLog", () => {
  const field = (sink: FieldSink, endpoint: EndpointName, name: string, use: FieldUse, kind = "widget") =>
    sink.field(endpoint, kind, name, use);

  test("unknown names at info, documented ones at debug, read ones never; names only", () => {
    const { log, out } = lines();
    const sink = unreadFieldLog(log);
    field(sink, LEASES, "leaseId", "read");
    field(sink, LEASES, "sparkle", "unknown");
    field(sink, LEASES, "colour", "documented");
    expect(out.map((l) => [l.level, l.fields])).toEqual([
      ["info", { endpoint: "leases", object: "widget", field: "sparkle" }],
      ["debug", { endpoint: "leases", object: "widget", field: "colour" }],
    ]);
    expect(out[0]!.msg).toContain("does not know");
  });

  test("once per endpoint and name, whatever the kind", () => {
    const { log, out } = lines();
    const sink = unreadFieldLog(log);
    field(sink, LEASES, "sparkle", "unknown");
    field(sink, LEASES, "sparkle", "unknown");
    field(sink, LEASES, "sparkle", "unknown", "lease");
    field(sink, POOLS, "sparkle", "unknown");
    expect(out.map((l) => `${l.fields?.endpoint} ${l.fields?.field}`)).toEqual(["leases sparkle", "license_pools sparkle"]);
  });

  test(`at most ${MAX_LOGGED_NAMES} unknown names a process, then one line saying so, then silence`, () => {
    const { log, out } = lines();
    const sink = unreadFieldLog(log);
    for (let i = 0; i < 200; i++) field(sink, i % 2 ? LEASES : POOLS, `name${i}`, "unknown");
    field(sink, LEASES, "name1", "unknown");
    field(sink, LEASES, "leaseId", "read");
    expect(out).toHaveLength(MAX_LOGGED_NAMES + 1);
    expect(out.slice(0, -1).map((l) => l.fields?.field)).toEqual(Array.from({ length: MAX_LOGGED_NAMES }, (_, i) => `name${i}`));
    const last = out.at(-1)!;
    expect(last.level).toBe("info");
    expect(last.fields).toEqual({ max: MAX_LOGGED_NAMES });
  });

  test("documented names do not take the place of unknown ones (the reference's lists bound them)", () => {
    const { log, out } = lines();
    const sink = unreadFieldLog(log, 3);
    for (let i = 0; i < 10; i++) field(sink, LEASES, `doc${i}`, "documented");
    for (let i = 0; i < 5; i++) field(sink, LEASES, `new${i}`, "unknown");
    field(sink, LEASES, "doc10", "documented");
    expect(out.filter((l) => l.level === "debug")).toHaveLength(11);
    expect(out.filter((l) => l.level === "info").map((l) => l.fields?.field ?? "cap")).toEqual(["new0", "new1", "new2", "cap"]);
  });

  test("a kind past MAX_NAMES_PER_KIND is a warning naming the endpoint, the kind and the bound", () => {
    const { log, out } = lines();
    unreadFieldLog(log).overflow!(LEASES, "lease");
    expect(out.map((l) => [l.level, l.fields])).toEqual([["warn", { endpoint: "leases", object: "lease", max: MAX_NAMES_PER_KIND }]]);
  });

  test("the cap is a parameter", () => {
    const { log, out } = lines();
    const sink = unreadFieldLog(log, 2);
    for (const n of ["a", "b", "c", "d"]) field(sink, LEASES, n, "unknown");
    expect(out.map((l) => l.fields?.field ?? "cap")).toEqual(["a", "b", "cap"]);
  });
});
