/**
 * Per-endpoint fault injection. A request takes the first matching live rule; `times` makes a
 * rule expire, so tests can script "fail twice, then recover" for retry and backoff logic.
 */
import { z } from "zod";
import { ENDPOINT_NAMES } from "../cls/endpoints.ts";
import { withUnknownPagingMembers } from "./paging.ts";

/** The exporter's endpoint names, plus the single-group route the simulator also serves. */
export const SIM_ENDPOINTS = [...ENDPOINT_NAMES, "virtual_group"] as const;
export type SimEndpoint = (typeof SIM_ENDPOINTS)[number];

export const faultRuleSchema = z.strictObject({
  endpoint: z.enum(SIM_ENDPOINTS),
  vgId: z.union([z.number().int(), z.string().min(1)]).optional(),
  serverId: z.string().min(1).optional(),
  instanceId: z.string().min(1).optional(),
  status: z.number().int().min(100).max(599).optional(),
  retryAfter: z.string().optional(),
  latencyMs: z.number().min(0).max(600_000).optional(),
  hang: z.boolean().optional(),
  malformed: z.boolean().optional(),
  body: z.unknown().optional(),
  corruptCompressed: z.boolean().optional(),
  /** Schema drift applied to the real answer's list (the first array in the body; compressed leases too). */
  drift: z
    .enum(["missing-ids", "wrong-types", "extra-fields", "empty", "duplicates", "long-strings", "absurd-numbers", "bad-dates"])
    .optional(),
  /**
   * For long-strings, the characters of each string; for absurd-numbers, the digits of each number
   * (sent as a numeric string: JSON has no number that large). Ids are left alone. Default 10,000 / 400.
   */
  driftSize: z.number().int().min(1).max(100_000_000).optional(),
  /** Sent as is instead of JSON (e.g. a proxy's HTML error page), with rawContentType. */
  rawBody: z.string().optional(),
  rawContentType: z.string().optional(),
  times: z.number().int().min(1).optional(),
  // Oversize answers (src/sim/oversize.ts), sizes in bytes so tests use small ones and benchmarks GBs; made as read.
  // (No lying Content-Length: Bun.serve always sends the true length; test/cls/body.test.ts fakes one.)
  /** A 200 sent with Content-Encoding: gzip that inflates to this many bytes. */
  gzipBomb: z.number().int().min(1).optional(),
  /** A 200 whose compressedClients inflates to this many bytes of valid JSON (an empty list, padded). */
  compressedBomb: z.number().int().min(1).optional(),
  /** The real answer padded with whitespace to this many bytes (still valid JSON). */
  hugeBody: z.number().int().min(1).optional(),
  /** An HTML error page (status, else 500) of this many bytes. */
  hugeErrorBody: z.number().int().min(1).optional(),
  // Page and item faults (src/sim/list-faults.ts); sizes are in the rule so tests stay small.
  /** The list holds this many items: the real ones, then copies with unique ids (a lease client's leaseIds too). */
  items: z.number().int().min(0).max(100_000_000).optional(),
  /** Pages of this many items whatever page-size was asked (a server that ignores it). */
  pageSize: z.number().int().min(1).optional(),
  /** Every page says another follows (totalPages = page + 1) and brings new items. */
  endlessPages: z.boolean().optional(),
  /** Every page number answers the first page and says another follows; `no-ids` strips the items' ids. */
  repeatPage: z.enum(["ids", "no-ids"]).optional(),
  /** `unknown-members`: paginationInfo, where the answer has one, with members the exporter does not know (src/sim/paging.ts). */
  paging: z.enum(["unknown-members"]).optional(),
});
export const faultRulesSchema = z.array(faultRuleSchema);

export type FaultRule = z.infer<typeof faultRuleSchema>;
/** What callers may pass (before validation), e.g. from another process through PUT /_sim/faults. */
export type FaultRuleInput = z.input<typeof faultRuleSchema>;

/** Where a request goes; rules with a matcher only hit requests with the same value. */
export interface FaultContext {
  endpoint: SimEndpoint;
  vgId?: number | undefined;
  serverId?: string | undefined;
  instanceId?: string | undefined;
}

export interface ActiveFault {
  rule: FaultRule;
  /** null = forever */
  remaining: number | null;
  hits: number;
}

export class FaultSet {
  private active: ActiveFault[] = [];

  /** Replaces all rules; throws a ZodError on bad input. */
  set(rules: readonly FaultRuleInput[]): void {
    this.active = faultRulesSchema.parse(rules).map((rule) => ({ rule, remaining: rule.times ?? null, hits: 0 }));
  }

  clear(): void {
    this.active = [];
  }

  list(): ActiveFault[] {
    return this.active.map((a) => ({ ...a }));
  }

  /** The rule this request suffers, if any; counts it against the rule's `times`. */
  take(ctx: FaultContext): FaultRule | null {
    const hit = this.active.find((a) => matches(a.rule, ctx));
    if (!hit) return null;
    hit.hits++;
    if (hit.remaining !== null && --hit.remaining <= 0) this.active = this.active.filter((a) => a !== hit);
    return hit.rule;
  }
}

function matches(rule: FaultRule, ctx: FaultContext): boolean {
  if (rule.endpoint !== ctx.endpoint) return false;
  if (rule.vgId !== undefined && String(rule.vgId) !== String(ctx.vgId)) return false;
  if (rule.serverId !== undefined && rule.serverId !== ctx.serverId) return false;
  return rule.instanceId === undefined || rule.instanceId === ctx.instanceId;
}

/** A rule that answers with an error status before the real handler runs. */
export function isShortCircuit(rule: FaultRule): boolean {
  return (
    rule.status !== undefined &&
    rule.status >= 400 &&
    rule.body === undefined &&
    rule.rawBody === undefined &&
    !rule.malformed &&
    !rule.drift
  );
}

export interface FaultedBody {
  status: number;
  text: string;
  contentType?: string;
}

/**
 * Applies the body-level faults to what the handler produced. Malformed output is the real body
 * cut in half: valid UTF-8, plausible start, never parseable (the closing brace is gone).
 */
export function applyBodyFaults(rule: FaultRule | null, status: number, body: unknown): FaultedBody {
  if (!rule) return { status, text: JSON.stringify(body) };
  if (rule.rawBody !== undefined)
    return { status: rule.status ?? status, text: rule.rawBody, contentType: rule.rawContentType ?? "text/html" };
  let out = rule.drift ? drift(body, rule.drift, rule.driftSize) : body;
  if (rule.paging === "unknown-members") out = withUnknownPagingMembers(out);
  let code = rule.status ?? status;
  if (rule.body !== undefined) {
    out = rule.body;
    code = rule.status ?? 200;
  }
  if (rule.corruptCompressed) out = { compressedClients: corruptCompressed(out) };
  const text = JSON.stringify(out);
  if (rule.malformed) return { status: rule.status ?? 200, text: text.slice(0, Math.max(1, Math.floor(text.length / 2))) };
  return { status: code, text };
}

/** Valid base64 of a gzip stream cut short: decoding works, gunzip fails (what a broken upstream sends). */
function corruptCompressed(body: unknown): string {
  const b = (body ?? {}) as { clients?: unknown; compressedClients?: unknown };
  const gz =
    typeof b.compressedClients === "string"
      ? Buffer.from(b.compressedClients, "base64")
      : Bun.gzipSync(new TextEncoder().encode(JSON.stringify({ clients: b.clients ?? [] })));
  return Buffer.from(gz.subarray(0, Math.max(12, Math.floor(gz.length / 2)))).toString("base64");
}

type Drift = NonNullable<FaultRule["drift"]>;
type Obj = Record<string, unknown>;

/** The drift applied to the body's list; gzip-compressed leases are unpacked, drifted and packed again. */
function drift(body: unknown, kind: Drift, size: number | undefined): unknown {
  const b = { ...(body as Obj) };
  if (typeof b.compressedClients === "string") {
    const inner = JSON.parse(new TextDecoder().decode(Bun.gunzipSync(Buffer.from(b.compressedClients, "base64")))) as unknown;
    b.compressedClients = Buffer.from(Bun.gzipSync(new TextEncoder().encode(JSON.stringify(drift(inner, kind, size))))).toString("base64");
    return b;
  }
  const key = Object.keys(b).find((k) => Array.isArray(b[k]));
  if (!key) return b;
  const list = structuredClone(b[key] as Obj[]);
  if (kind === "empty") b[key] = [];
  else if (kind === "duplicates") b[key] = [...list, ...structuredClone(list)];
  else if (kind === "extra-fields") {
    b.unexpectedTopLevel = { added: "by a newer CLS" };
    b[key] = list.map((item) => ({ ...item, unexpectedField: [1, { nested: null }] }));
  } else if (list.length > 0) {
    const first = list[0]!;
    if (kind === "missing-ids") {
      // An item CLS sends without its id (or, for lease lists, a lease without its leaseId).
      delete first.id;
      const leases = first.leases;
      if (Array.isArray(leases) && leases.length > 0) delete (leases[0] as Obj).leaseId;
    } else if (kind === "bad-dates") {
      list[0] = badDates(first) as Obj;
    } else if (kind === "long-strings") {
      list[0] = lengthened(first, size ?? 10_000) as Obj;
    } else if (kind === "absurd-numbers") {
      // Alternately a numeric string of `size` digits (Infinity once read) and a negative number.
      let n = 0;
      list[0] = mapLeaves(first, (v) => (typeof v === "number" ? (n++ % 2 === 0 ? "9".repeat(size ?? 400) : -v - 1) : v)) as Obj;
    } else {
      // wrong-types: every number in the first item becomes a string that is no number.
      list[0] = numbersToText(first) as Obj;
    }
    b[key] = list;
  }
  return b;
}

/** Keys that hold ids, left alone by the drifts that would otherwise make an item unjoinable. */
const isIdKey = (k: string) => k === "id" || k.endsWith("Id") || k.endsWith("_id");

/** Every leaf value outside id keys through `f`. */
function mapLeaves(v: unknown, f: (leaf: unknown) => unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => mapLeaves(x, f));
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, isIdKey(k) ? x : mapLeaves(x, f)]));
  return f(v);
}

/** Every string outside id keys repeated to exactly `size` characters (a name of `size` characters). */
const lengthened = (v: unknown, size: number) =>
  mapLeaves(v, (leaf) => (typeof leaf === "string" && leaf.length > 0 ? leaf.repeat(Math.ceil(size / leaf.length)).slice(0, size) : leaf));

/** Dates in shapes no reader should guess at, in turn: day first, a word, a day February lacks, an object. */
const BAD_DATES: readonly unknown[] = ["31/12/2027", "tomorrow", "2027-02-30", { date: "2027-12-31" }];
const DATE_KEYS = new Set(["startDate", "endDate", "overageStartTime"]);

/** Every documented date field in the item (nested ones too) set to an unknown shape. */
function badDates(v: unknown, n = { i: 0 }): unknown {
  if (Array.isArray(v)) return v.map((x) => badDates(x, n));
  if (!v || typeof v !== "object") return v;
  return Object.fromEntries(
    Object.entries(v).map(([k, x]) => [k, DATE_KEYS.has(k) ? BAD_DATES[n.i++ % BAD_DATES.length] : badDates(x, n)]),
  );
}

function numbersToText(v: unknown): unknown {
  if (typeof v === "number") return "n/a";
  if (Array.isArray(v)) return v.map(numbersToText);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, numbersToText(x)]));
  return v;
}
