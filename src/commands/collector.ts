import { ENDPOINT_NAMES, type EndpointName } from "../cls/endpoints.ts";
import { type FieldSink, type FieldUse, MAX_NAMES_PER_KIND, shown } from "../cls/fields.ts";
import type { HttpDeps } from "../cls/http.ts";

/*
 * What one refresh showed of each endpoint, heard through the client's hooks (FieldSink and
 * onAttempt): names, counts and durations only, never a value CLS sent. Bounded: names are
 * bounded per kind by the FieldWatch (MAX_NAMES_PER_KIND), paging members here by the same
 * constant, and one duration is kept per attempt, which the refresh itself bounds (CLS_MAX_PAGES,
 * PARALLELISM and SCRAPE_TIMEOUT).
 */

/** One endpoint as the refresh met it. */
export interface EndpointTally {
  /** First attempts of a request (one per page asked for). */
  calls: number;
  /** Attempts after the first of a request. */
  retries: number;
  /** Attempts by outcome: the HTTP status, or the error kind (timeout, network, decode, too_large). */
  outcomes: Map<string, number>;
  /** Every attempt's duration in ms, retries included. */
  durationsMs: number[];
  /** Answers read (each page of a paged list). */
  pages: number;
  /** Of those, pages without a paginationInfo object. */
  pagesWithoutPaging: number;
  /** The union of the paginationInfo member names of every page. */
  pagingMembers: Set<string>;
  /** paginationInfo names beyond MAX_NAMES_PER_KIND, not kept. */
  pagingMembersDropped: number;
  /** Objects seen by kind name: list elements and answers (the envelope's kind). */
  items: Map<string, number>;
  /** Each distinct name seen by kind name, and how the exporter stands to it. */
  fields: Map<string, Map<string, FieldUse>>;
  /** Kinds that brought more than MAX_NAMES_PER_KIND names: the rest are not in `fields`. */
  namesPastBound: Set<string>;
}

const emptyTally = (): EndpointTally => ({
  calls: 0,
  retries: 0,
  outcomes: new Map(),
  durationsMs: [],
  pages: 0,
  pagesWithoutPaging: 0,
  pagingMembers: new Set(),
  pagingMembersDropped: 0,
  items: new Map(),
  fields: new Map(),
  namesPastBound: new Set(),
});

/** Hears one refresh (pass `sink` as refreshOnce's `fields` and `onAttempt` as its `onAttempt`), then is read per endpoint. */
export class DiagnosisCollector {
  private readonly tallies = new Map<EndpointName, EndpointTally>(ENDPOINT_NAMES.map((n) => [n, emptyTally()]));

  readonly onAttempt: NonNullable<HttpDeps["onAttempt"]> = (endpoint, outcome, ms, retry) => {
    const t = this.of(endpoint);
    if (retry === 0) t.calls++;
    else t.retries++;
    t.outcomes.set(outcome, (t.outcomes.get(outcome) ?? 0) + 1);
    t.durationsMs.push(ms);
  };

  readonly sink: FieldSink = {
    field: (endpoint, kind, name, use) => {
      const t = this.of(endpoint);
      let names = t.fields.get(kind);
      if (!names) {
        names = new Map();
        t.fields.set(kind, names);
      }
      // FieldWatch tells names as shown already; a sink fed otherwise is held to the same rule.
      names.set(shown(name), use);
    },
    page: (endpoint, members) => {
      const t = this.of(endpoint);
      t.pages++;
      if (members === undefined) {
        t.pagesWithoutPaging++;
        return;
      }
      for (const m of members.map(shown)) {
        if (t.pagingMembers.has(m)) continue;
        if (t.pagingMembers.size < MAX_NAMES_PER_KIND) t.pagingMembers.add(m);
        else t.pagingMembersDropped++;
      }
    },
    overflow: (endpoint, kind) => {
      this.of(endpoint).namesPastBound.add(kind);
    },
    item: (endpoint, kind) => {
      const t = this.of(endpoint);
      t.items.set(kind, (t.items.get(kind) ?? 0) + 1);
    },
  };

  /** The tally of `endpoint` (empty when the refresh never reached it). */
  of(endpoint: EndpointName): EndpointTally {
    let t = this.tallies.get(endpoint);
    if (!t) {
      t = emptyTally();
      this.tallies.set(endpoint, t);
    }
    return t;
  }
}
