import type { ObjectKind } from "../fields.ts";
import type { Envelope, ItemParser, ItemSchema } from "../schemas.ts";

/**
 * How a row's answers count against the CLS_MAX_* bounds. The bounds themselves are the settings,
 * the same for every row (one number per bound, set and documented once, src/cls/limits.ts); a row
 * only says what one element of its list weighs, read from the raw element before it is parsed, so
 * a list past CLS_MAX_ITEMS is refused before the work of parsing it.
 */
export interface EndpointLimits {
  /** The items one raw list element counts for, itself included (a row without it: 1 each). */
  countItems: (raw: unknown) => number;
}

/** One call of an endpoint: the key its part is kept under in OrgData, and what addresses it. */
export interface Call<Args> {
  key: string;
  args: Args;
}

/** One fetched part of an endpoint (its rows, fresh or the previous ones), which its child rows make their calls from. */
export interface Part<Args, Raw> extends Call<Args> {
  rows: readonly Raw[];
}

/** A child row's source: its parent endpoint, and the calls it makes for each fetched part of the parent. */
export interface Source<P extends string, PArgs, PRaw, Args> {
  parent: P;
  calls: (part: Part<PArgs, PRaw>) => Call<Args>[];
}

/** `P`, `PArgs` and `PRaw` name a child row's parent and its types; an org-level row leaves them `never`. */
export interface Endpoint<Args, T, Raw, P extends string = never, PArgs = never, PRaw = never> {
  /** Below `/v1/org/{org-name}`; ids are URL-encoded here. */
  path: (args: Args) => string;
  /** Documented as paged: page-number and page-size are sent from the first call. Others page only if CLS says so. */
  paged: boolean;
  query?: Readonly<Record<string, string>>;
  envelope: Envelope;
  /**
   * The x-nv-service-instance-id this call is made for. When it names none (or the row has no such
   * rule), NVIDIA_SERVICE_INSTANCE_ID is sent if it is set.
   */
  instanceId?: (args: Args) => string | undefined;
  /** The schema of one element of the envelope's list. */
  schema: ItemSchema<T>;
  /**
   * Every kind of list element its answers hold, nested lists included (the answer's kind is the
   * envelope's, nested objects are their kind's `objects`): what --check lists documented names of.
   */
  objects: readonly ObjectKind[];
  /** One list element → the rows the rest of the exporter reads, nested lists parsed with `parse`. */
  flatten: (item: T, parse: ItemParser) => Raw[];
  /** How its list counts against CLS_MAX_ITEMS; without it each element counts once. */
  limits?: EndpointLimits;
  /**
   * Where its calls come from. A row without one is org-level: one call, keyed ORG_KEY, with no
   * args; its org-wide failures (src/cls/org.ts) end the refresh.
   */
  from?: Source<P, PArgs, PRaw, Args>;
}

/** The key of the one part of an org-level row. */
export const ORG_KEY = "";

/** The key of a part below the org: the ids that address it, outermost first (each encoded, so "/" only separates them). */
export const partKey = (...ids: readonly string[]): string => ids.map(encodeURIComponent).join("/");

/** The outermost id of a part key (the virtual group, for every row below the org today). */
export const outermostId = (key: string): string => decodeURIComponent(key.split("/", 1)[0]!);

/** Infers a row's types from its fields. */
export const row = <Args, T, Raw, P extends string = never, PArgs = never, PRaw = never>(e: Endpoint<Args, T, Raw, P, PArgs, PRaw>) => e;
