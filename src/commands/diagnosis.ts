import { ENDPOINT_NAMES, ENDPOINTS, type EndpointName, kindsOf } from "../cls/endpoints.ts";
import { type ObjectKind, PAGING_MEMBERS } from "../cls/fields.ts";
import { causesOf } from "../snapshot/causes.ts";
import type { Snapshot } from "../snapshot/types.ts";
import type { DiagnosisCollector, EndpointTally } from "./collector.ts";
import { exitCodeOf } from "./once.ts";

/*
 * The --check diagnosis as data: what `--format json` prints (README "Checking your CLS org") and
 * what the text report is written from. Names and counts only, by construction: the collector
 * never holds a value, and of the snapshot only counts, reasons and hints are read (never a
 * failure's message, which may quote an id from a path or an answer).
 */

/** Bumped when a member changes meaning or goes; new members do not bump it. */
export const DIAGNOSIS_VERSION = 1;

/** Names by object kind. */
export type NamesByKind = Record<string, string[]>;

export interface EndpointDiagnosis {
  endpoint: EndpointName;
  calls: number;
  retries: number;
  /** Attempts by outcome (HTTP status or error kind). */
  outcomes: Record<string, number>;
  /** Parts of this endpoint the refresh could not fetch. */
  failedParts: number;
  pages: number;
  paging: {
    /** none: no page carried paginationInfo; unrecognised: some member is not one the page walk reads. */
    shape: "none" | "recognised" | "unrecognised";
    recognised: string[];
    unrecognised: string[];
    pagesWithout: number;
    /** Distinct member names past MAX_NAMES_PER_KIND, not listed. */
    pastBound: number;
  };
  /** List elements seen, every kind (nested lists included), skipped ones too. */
  items: number;
  itemsByKind: Record<string, number>;
  /** Items dropped: no readable id. */
  skipped: number;
  /** Items kept with a field that could not be read (read as absent, or cut). */
  unreadable: number;
  /** Reasons other than no_id (an item with two counts under both). */
  unreadableByReason: Record<string, number>;
  /** Names CLS sent that the exporter does not read: documented by NVIDIA, and unknown to its reference. */
  unread: { documented: NamesByKind; unknown: NamesByKind };
  /** Documented names that no object of a kind that was seen carried. */
  neverSent: NamesByKind;
  /** Kinds of which no object was seen (an empty list, or a failed call). */
  kindsNotSeen: string[];
  /** Kinds that sent more distinct names than MAX_NAMES_PER_KIND: the names past it are not listed. */
  namesPastBound: string[];
  latencyMs: { median: number; max: number } | null;
}

export interface CauseDiagnosis {
  endpoint: string;
  /** The HTTP status, or the kind of failure (timeout, network, decode, too_large, invalid_items). */
  reason: string;
  parts: number;
  hint: string | null;
}

export interface Diagnosis {
  version: number;
  /** 0 every call answered and every item understood; 1 otherwise. */
  exitCode: 0 | 1;
  endpoints: EndpointDiagnosis[];
  /** Most upstream first, as the refresh log ranks them. */
  causes: CauseDiagnosis[];
}

export function diagnose(collector: DiagnosisCollector, snapshot: Snapshot): Diagnosis {
  const causes = [...causesOf(snapshot).values()].map((c) => ({
    endpoint: c.endpoint,
    reason: c.detail,
    parts: c.parts,
    hint: c.hint ?? null,
  }));
  return {
    version: DIAGNOSIS_VERSION,
    exitCode: exitCodeOf(snapshot),
    endpoints: ENDPOINT_NAMES.map((n) => endpointDiagnosis(n, collector.of(n), snapshot)),
    causes,
  };
}

function endpointDiagnosis(endpoint: EndpointName, t: EndpointTally, s: Snapshot): EndpointDiagnosis {
  const row = ENDPOINTS[endpoint];
  const answer = row.envelope.answer.name;
  const itemsByKind = Object.fromEntries([...t.items].filter(([kind]) => kind !== answer));
  const reasons = (s.invalidReasons ?? []).filter(([e]) => e === endpoint);
  const invalid = s.invalidItems.find(([e]) => e === endpoint)?.[1] ?? 0;
  const skipped = reasons.find(([, r]) => r === "no_id")?.[2] ?? 0;
  const members = [...t.pagingMembers];
  return {
    endpoint,
    calls: t.calls,
    retries: t.retries,
    outcomes: Object.fromEntries([...t.outcomes].sort(([a], [b]) => a.localeCompare(b))),
    failedParts: s.failures.filter((f) => f.endpoint === endpoint).length,
    pages: t.pages,
    paging: {
      shape: members.length === 0 ? "none" : members.every((m) => PAGING_MEMBERS.includes(m)) ? "recognised" : "unrecognised",
      recognised: members.filter((m) => PAGING_MEMBERS.includes(m)),
      unrecognised: members.filter((m) => !PAGING_MEMBERS.includes(m)),
      pagesWithout: t.pagesWithoutPaging,
      pastBound: t.pagingMembersDropped,
    },
    items: Object.values(itemsByKind).reduce((a, b) => a + b, 0),
    itemsByKind,
    skipped,
    unreadable: Math.max(0, invalid - skipped),
    unreadableByReason: Object.fromEntries(reasons.filter(([, r]) => r !== "no_id").map(([, r, n]) => [r, n])),
    ...namesOf(kindsOf(endpoint), t),
    namesPastBound: [...t.namesPastBound],
    latencyMs: latencyOf(t.durationsMs),
  };
}

function namesOf(kinds: readonly ObjectKind[], t: EndpointTally): Pick<EndpointDiagnosis, "unread" | "neverSent" | "kindsNotSeen"> {
  const documented: NamesByKind = {};
  const unknown: NamesByKind = {};
  const neverSent: NamesByKind = {};
  const kindsNotSeen: string[] = [];
  for (const [kind, names] of t.fields) {
    const byUse = (use: string) => [...names].filter(([, u]) => u === use).map(([n]) => n);
    if (byUse("documented").length > 0) documented[kind] = byUse("documented");
    if (byUse("unknown").length > 0) unknown[kind] = byUse("unknown");
  }
  for (const kind of kinds) {
    const seen = t.fields.get(kind.name);
    if (!seen && !t.items.has(kind.name)) {
      kindsNotSeen.push(kind.name);
      continue;
    }
    const missing = kind.documented.filter((n) => !seen?.has(n));
    if (missing.length > 0) neverSent[kind.name] = missing;
  }
  return { unread: { documented, unknown }, neverSent, kindsNotSeen };
}

function latencyOf(ms: readonly number[]): EndpointDiagnosis["latencyMs"] {
  if (ms.length === 0) return null;
  const sorted = [...ms].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median: Math.round(median), max: Math.round(sorted[sorted.length - 1]!) };
}
