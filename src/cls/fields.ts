import type { Logger } from "../log.ts";
import type { EndpointName } from "./endpoints.ts";

/*
 * Which field names CLS sends, seen against what the exporter reads and what NVIDIA's reference
 * documents (src/sim/README.md): a changed API shows up as names before it shows up as wrong
 * numbers. Names only: no value of a field is ever kept here.
 */

/** One kind of object CLS sends (an answer, a list element, a nested object) and the field names NVIDIA documents for it. */
export interface ObjectKind {
  /** How diagnostics name it ("entitlementFeature", "answer"). */
  name: string;
  /** Every name the reference documents for it, read by the exporter or not. */
  documented: readonly string[];
  /** Fields holding a plain object whose names are observed as their own kind (additionalProperties). */
  objects?: Readonly<Record<string, ObjectKind>>;
}

/** How the exporter stands to a name CLS sent: its schema reads it; documented but not read; neither. */
export type FieldUse = "read" | "documented" | "unknown";

export interface FieldSink {
  /** Each distinct (endpoint, kind, name) once per client, in the order CLS first sent them. */
  field(endpoint: EndpointName, kind: string, name: string, use: FieldUse): void;
  /** Each page read: the member names of its paginationInfo, undefined when it had none. */
  page?(endpoint: EndpointName, pagingMembers: readonly string[] | undefined): void;
  /**
   * Each answer and each list element parsed, whatever its shape (nested objects of a kind's
   * `objects` are not items). Only a sink that has it is told: the normal run's sink has none.
   */
  item?(endpoint: EndpointName, kind: string): void;
  /** Once per endpoint and kind, when an object of it brought a new name past MAX_NAMES_PER_KIND (not reported). */
  overflow?(endpoint: EndpointName, kind: string): void;
}

/** Distinct names remembered per endpoint and kind: a hostile answer with a million keys costs this many entries, no more. */
export const MAX_NAMES_PER_KIND = 256;
/** The longest name shown as sent; a longer one is not shaped like a field name. */
export const MAX_NAME_LENGTH = 64;

const FIELD_NAME = /^_{0,2}[A-Za-z][A-Za-z\d]*(_[A-Za-z\d]+)*_{0,2}$/;

/**
 * A name shaped like a field name: camelCase or snake_case letters and digits, a letter first, at
 * most MAX_NAME_LENGTH characters. A map keyed by lease, server id, host or e-mail sends data as
 * names; those are never shown. A one-word host or user name (gpu01, jsmith) has the shape too.
 */
export const fieldNameShaped = (name: string): boolean => name.length <= MAX_NAME_LENGTH && FIELD_NAME.test(name);

/** What a name not shaped like a field name is told as (logs, --check): that such names came, never which. */
export const NAME_NOT_SHOWN = "(names shaped like data, not shown)";

/** The paginationInfo members the page walk understands. */
export const PAGING_MEMBERS: readonly string[] = ["pageNumber", "pageSize", "totalPages", "totalElements"];

/** A kind's name, its documented names and, later, the names its schema reads. */
export const objectKind = (name: string, documented: readonly string[], objects?: Record<string, ObjectKind>): ObjectKind => ({
  name,
  documented,
  ...(objects ? { objects } : {}),
});

/** The shape of a zod object schema, looking through optional()/catch() wrappers; undefined for any other schema. */
function shapeOf(schema: unknown): Record<string, unknown> | undefined {
  let s = schema as { shape?: Record<string, unknown>; def?: { innerType?: unknown } } | undefined;
  for (let depth = 0; s && depth < 8; depth++) {
    if (s.shape) return s.shape;
    s = s.def?.innerType as typeof s;
  }
  return undefined;
}

/**
 * Watches the names of the objects one client parses and tells its sink of each new one. Per
 * object it walks the keys without copying them (for…in), one Set lookup each and no allocation:
 * cheap enough for every lease of every refresh.
 */
export class FieldWatch {
  private readonly seen = new Map<EndpointName, Map<ObjectKind, Set<string>>>();
  /** The `seen` sets that reached MAX_NAMES_PER_KIND and were told to the sink as such. */
  private readonly full = new Set<Set<string>>();

  constructor(private readonly sink: FieldSink | undefined) {}

  /** The names of one raw object of `kind`, parsed by `schema` (a zod object, possibly wrapped). */
  observe(endpoint: EndpointName, kind: ObjectKind, schema: unknown, raw: unknown): void {
    if (!this.sink) return;
    this.sink.item?.(endpoint, kind.name);
    this.names(endpoint, kind, schema, raw);
  }

  private names(endpoint: EndpointName, kind: ObjectKind, schema: unknown, raw: unknown): void {
    if (!this.sink || raw === null || typeof raw !== "object" || Array.isArray(raw)) return;
    const seen = this.seenOf(endpoint, kind);
    for (const name in raw) {
      // A name already told costs one lookup: the shape is checked only for a name not seen before.
      if (!seen.has(name)) this.told(endpoint, kind, schema, name, seen);
      const nested = kind.objects?.[name];
      if (nested) this.names(endpoint, nested, shapeOf(schema)?.[name], (raw as Record<string, unknown>)[name]);
    }
  }

  /** A name not seen yet: told as shown (every name shaped like data is one name, the placeholder), within the bound. */
  private told(endpoint: EndpointName, kind: ObjectKind, schema: unknown, name: string, seen: Set<string>): void {
    const label = shown(name);
    if (seen.has(label)) return;
    if (seen.size >= MAX_NAMES_PER_KIND) {
      if (!this.full.has(seen)) {
        this.full.add(seen);
        this.sink?.overflow?.(endpoint, kind.name);
      }
      return;
    }
    seen.add(label);
    this.sink?.field(endpoint, kind.name, label, this.useOf(kind, schema, name));
  }

  /** One page's paginationInfo (names only). */
  page(endpoint: EndpointName, info: unknown): void {
    if (!this.sink?.page) return;
    if (info === null || typeof info !== "object" || Array.isArray(info)) {
      this.sink.page(endpoint, undefined);
      return;
    }
    const members: string[] = [];
    for (const name in info) if (members.length < MAX_NAMES_PER_KIND) members.push(shown(name));
    this.sink.page(endpoint, members);
  }

  private readonly reads = new Map<ObjectKind, ReadonlySet<string>>();
  private useOf(kind: ObjectKind, schema: unknown, name: string): FieldUse {
    let read = this.reads.get(kind);
    if (!read) {
      read = new Set(Object.keys(shapeOf(schema) ?? {}));
      this.reads.set(kind, read);
    }
    return read.has(name) ? "read" : kind.documented.includes(name) ? "documented" : "unknown";
  }

  private seenOf(endpoint: EndpointName, kind: ObjectKind): Set<string> {
    let byKind = this.seen.get(endpoint);
    if (!byKind) {
      byKind = new Map();
      this.seen.set(endpoint, byKind);
    }
    let set = byKind.get(kind);
    if (!set) {
      set = new Set();
      byKind.set(kind, set);
    }
    return set;
  }
}

/** A name as logs and --check show it: as sent when shaped like a field name, else NAME_NOT_SHOWN. */
export function shown(name: string): string {
  return fieldNameShaped(name) ? name : NAME_NOT_SHOWN;
}

/** Distinct unknown names a process logs (README "Logs"): enough for any API change, bounded against a hostile one. */
export const MAX_LOGGED_NAMES = 50;

/**
 * The sink of normal runs: each name the exporter does not read is logged once per endpoint and
 * name. A name NVIDIA does not document is news (info: the API may have changed), at most
 * MAX_LOGGED_NAMES a process; a documented one the exporter leaves unread is expected (debug) and
 * bounded by the reference's own lists, so it does not take the place of an unknown one.
 */
export function unreadFieldLog(log: Logger, max = MAX_LOGGED_NAMES): FieldSink {
  const logged = new Set<string>();
  let unknown = 0;
  let full = false;
  return {
    field(endpoint, kind, name, use) {
      if (use === "read" || (full && use === "unknown")) return;
      const key = `${endpoint}\n${name}`;
      if (logged.has(key)) return;
      const fields = { endpoint, object: kind, field: name };
      if (use === "documented") {
        logged.add(key);
        log.debug("CLS sent a documented field the exporter does not read", fields);
        return;
      }
      if (unknown >= max) {
        full = true;
        log.info("CLS sends more field names the exporter does not know than are logged; --check lists them all", { max });
        return;
      }
      unknown++;
      logged.add(key);
      log.info("CLS sent a field the exporter does not know (not in NVIDIA's reference); not read", fields);
    },
    overflow(endpoint, kind) {
      log.warn("CLS sent more distinct field names in one kind of object than are watched; the rest are not logged", {
        endpoint,
        object: kind,
        max: MAX_NAMES_PER_KIND,
      });
    },
  };
}
