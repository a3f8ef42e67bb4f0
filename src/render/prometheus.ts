import { realTimers, type Timers } from "../clock.ts";
import type { MetricDef, Sample, View } from "./catalog.ts";
import { type DeflatedPrefix, deflatePrefix, gzipWithTail } from "./deflated.ts";
import { CONTENT_TYPES, EOF_LINE, expositionChunks, type Format } from "./exposition.ts";

export { CONTENT_TYPES, EOF_LINE, type Format } from "./exposition.ts";

/** Every family of the catalogue with its rows for `view`, as the exposition writer takes them. */
function* catalogFamilies(catalog: readonly MetricDef[], view: View): Generator<readonly [MetricDef, Iterable<Sample>]> {
  for (const def of catalog) yield [def, def.rows(view)];
}

/**
 * The catalogue as exposition text (without OpenMetrics' final `# EOF`), `org_name` on every sample;
 * "" when no family has a sample (the writer's lone newline would be a blank line once this is
 * joined to other text, which OpenMetrics parsers refuse).
 */
export async function renderCatalog(catalog: readonly MetricDef[], view: View, orgName: string, format: Format): Promise<string> {
  const text = [...expositionChunks(catalogFamilies(catalog, view), format, { org_name: orgName })].join("");
  return text === "\n" ? "" : text;
}

/** The same, encoded as UTF-8 family by family: the whole body never exists as one JS string. */
function renderCatalogBytes(catalog: readonly MetricDef[], view: View, orgName: string, format: Format): Uint8Array<ArrayBuffer> {
  const sink = new Bun.ArrayBufferSink();
  sink.start({ asUint8Array: true, highWaterMark: 1 << 20 });
  for (const chunk of expositionChunks(catalogFamilies(catalog, view), format, { org_name: orgName })) sink.write(chunk);
  return sink.end() as Uint8Array<ArrayBuffer>;
}

export interface Body {
  bytes: Uint8Array<ArrayBuffer>;
  /** Response headers, built once with the body. */
  headers: Readonly<Record<string, string>>;
}

export interface RendererOptions {
  catalog: readonly MetricDef[];
  orgName: string;
  /**
   * Metrics that change between snapshots (process figures and the history and OTLP self-metrics);
   * rendered at most once per liveTtlMs.
   */
  live: (format: Format) => Promise<string>;
  liveTtlMs: number;
  now: () => number;
  /**
   * Called once no new live period has begun for two periods (no scrape in that time): the bodies
   * of the last periods are dropped just before, so it is the moment to give memory back.
   */
  onIdle?: () => void;
  /** For the idle timer; default real timers. */
  timers?: Timers;
}

interface Slot {
  body: Promise<Body>;
  /** Set once built: lets a scrape answer synchronously. */
  ready?: Body;
}

/** One format's bodies for one snapshot and one live period, each built when first asked for. */
interface Edition {
  at: number;
  /** Built for either encoding; handed out synchronously only once a gzip body was asked for. */
  gzip: Slot & { asked?: boolean };
  identity?: Slot;
}

const encoder = new TextEncoder();

/**
 * Bodies are built once per snapshot and live period, never per request: rendering thousands of
 * series costs milliseconds, serving cached bytes costs microseconds. Memory (BENCHMARKS.md (c)):
 * per format only the catalogue, compressed, outlives the scrapes; a live period's gzip body is
 * that plus its compressed live section (no recompression of megabytes), and its identity body
 * (megabytes at 17,000 series) is made only when asked for and dropped once the renderer is idle.
 */
export class PrometheusRenderer {
  private renderedFor: unknown = null;
  private readonly catalogues = new Map<Format, Promise<DeflatedPrefix>>();
  private readonly editions = new Map<Format, Edition>();
  private readonly timers: Timers;
  private idleTimer: unknown;

  constructor(private readonly opts: RendererOptions) {
    this.timers = opts.timers ?? realTimers;
  }

  /** The body for this snapshot if it is already built and current: lets a scrape answer synchronously. */
  ready(snapshot: unknown, format: Format, gzip: boolean): Body | undefined {
    if (snapshot === undefined || snapshot !== this.renderedFor) return undefined;
    const edition = this.editions.get(format);
    if (!edition || this.opts.now() - edition.at >= this.opts.liveTtlMs) return undefined;
    if (gzip) return edition.gzip.asked ? edition.gzip.ready : undefined;
    return edition.identity?.ready;
  }

  body(view: View, format: Format, gzip: boolean): Promise<Body> {
    // With no snapshot yet every request renders anew: the stats still move between attempts.
    if (view.snapshot === undefined || view.snapshot !== this.renderedFor) {
      this.catalogues.clear();
      this.editions.clear();
      this.renderedFor = view.snapshot ?? null;
    }
    const edition = this.edition(view, format);
    if (gzip) {
      edition.gzip.asked = true;
      return edition.gzip.body;
    }
    // The identity body is the gzip body inflated: one allocation of the final size, no plain copy kept.
    edition.identity ??= slot(edition.gzip.body.then((b) => ({ bytes: Bun.gunzipSync(b.bytes), headers: headersFor(format, false) })));
    return edition.identity.body;
  }

  /** The current edition of `format`, or a new one when the live section expired. */
  private edition(view: View, format: Format): Edition {
    const now = this.opts.now();
    const current = this.editions.get(format);
    if (current && now - current.at < this.opts.liveTtlMs) return current;
    const edition: Edition = { at: now, gzip: slot(this.gzipBody(view, format)) };
    this.editions.set(format, edition);
    edition.gzip.body.catch(() => this.editions.get(format) === edition && this.editions.delete(format));
    this.armIdle();
    return edition;
  }

  /**
   * Two periods, not one: under steady load a new period begins about one period after the last,
   * so the timer never fires then; between scrapes seconds apart it fires after each.
   */
  private armIdle(): void {
    this.timers.clearTimeout(this.idleTimer);
    this.idleTimer = this.timers.setTimeout(() => {
      // Every edition is expired by now: keep only the compressed catalogues.
      this.editions.clear();
      this.opts.onIdle?.();
    }, 2 * this.opts.liveTtlMs);
  }

  private async gzipBody(view: View, format: Format): Promise<Body> {
    const catalogue = await this.catalogue(view, format);
    const tail = encoder.encode((await this.opts.live(format)) + (format === "openmetrics" ? EOF_LINE : ""));
    return { bytes: gzipWithTail(catalogue, tail), headers: headersFor(format, true) };
  }

  private catalogue(view: View, format: Format): Promise<DeflatedPrefix> {
    let catalogue = this.catalogues.get(format);
    if (!catalogue) {
      const made = (async () => deflatePrefix(renderCatalogBytes(this.opts.catalog, view, this.opts.orgName, format)))();
      made.catch(() => this.catalogues.get(format) === made && this.catalogues.delete(format));
      this.catalogues.set(format, made);
      catalogue = made;
    }
    return catalogue;
  }
}

function slot(body: Promise<Body>): Slot {
  const s: Slot = { body };
  body.then(
    (b) => (s.ready = b),
    () => {},
  );
  return s;
}

function headersFor(format: Format, gzip: boolean): Record<string, string> {
  const headers: Record<string, string> = { "content-type": CONTENT_TYPES[format], vary: "Accept, Accept-Encoding" };
  if (gzip) headers["content-encoding"] = "gzip";
  return headers;
}
