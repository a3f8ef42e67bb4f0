import { Counter, Gauge, Registry } from "prom-client";
import type { MetricDef, View } from "./catalog.ts";

export type Format = "text" | "openmetrics";

export const CONTENT_TYPES: Record<Format, string> = {
  text: Registry.PROMETHEUS_CONTENT_TYPE,
  openmetrics: Registry.OPENMETRICS_CONTENT_TYPE,
};

export const EOF_LINE = "# EOF\n";

/** prom-client's typings omit the constructor's content-type argument, which it honours at run time. */
const TypedRegistry = Registry as unknown as new (contentType: string) => Registry;

/** A registry whose metrics() speaks `format` and whose OpenMetrics output lacks the final `# EOF`. */
export function newRegistry(format: Format): Registry {
  return new TypedRegistry(CONTENT_TYPES[format]);
}

export function withoutEof(text: string): string {
  return text.endsWith(EOF_LINE) ? text.slice(0, -EOF_LINE.length) : text;
}

/** Renders the catalogue through a fresh prom-client registry (no global registry, no default metrics). */
export async function renderCatalog(catalog: readonly MetricDef[], view: View, orgName: string, format: Format): Promise<string> {
  const registry = newRegistry(format);
  registry.setDefaultLabels({ org_name: orgName });
  for (const def of catalog) {
    const rows = [...def.rows(view)];
    // A family with no samples would print a bare HELP/TYPE pair: noise for every reader.
    if (rows.length === 0) continue;
    const labelNames = [...def.labels];
    const metric =
      def.type === "counter"
        ? new Counter({ name: def.name, help: def.help, labelNames, registers: [registry] })
        : new Gauge({ name: def.name, help: def.help, labelNames, registers: [registry] });
    for (const { labels, value } of rows) {
      if (metric instanceof Counter) metric.inc(labels, value);
      else metric.set(labels, value);
    }
  }
  return withoutEof(await registry.metrics());
}

export interface Body {
  bytes: Uint8Array<ArrayBuffer>;
  /** Response headers, built once with the body. */
  headers: Readonly<Record<string, string>>;
}

export interface RendererOptions {
  catalog: readonly MetricDef[];
  orgName: string;
  /** Metrics that change between snapshots (process figures); rendered at most once per liveTtlMs. */
  live: (format: Format) => Promise<string>;
  liveTtlMs: number;
  now: () => number;
}

const encoder = new TextEncoder();

/**
 * Bodies are built once per snapshot (and per live-section expiry), never per request: rendering
 * thousands of series costs milliseconds, serving cached bytes costs microseconds.
 */
export class PrometheusRenderer {
  private renderedFor: unknown = null;
  /** Encoded catalogue text per format: depends on the snapshot only. */
  private readonly main = new Map<Format, Promise<Uint8Array>>();
  /** Whole bodies per format and encoding, including the live section of time `at`; `ready` once built. */
  private readonly bodies = new Map<string, { body: Promise<Body>; at: number; ready?: Body }>();

  constructor(private readonly opts: RendererOptions) {}

  /** The body for this snapshot if it is already built and current: lets a scrape answer synchronously. */
  ready(snapshot: unknown, format: Format, gzip: boolean): Body | undefined {
    if (snapshot === undefined || snapshot !== this.renderedFor) return undefined;
    const cached = this.bodies.get(`${format}:${gzip}`);
    return cached?.ready && this.opts.now() - cached.at < this.opts.liveTtlMs ? cached.ready : undefined;
  }

  body(view: View, format: Format, gzip: boolean): Promise<Body> {
    // With no snapshot yet every request renders anew: the stats still move between attempts.
    if (view.snapshot === undefined || view.snapshot !== this.renderedFor) {
      this.main.clear();
      this.bodies.clear();
      this.renderedFor = view.snapshot ?? null;
    }
    const key = `${format}:${gzip}`;
    const now = this.opts.now();
    const cached = this.bodies.get(key);
    if (cached && now - cached.at < this.opts.liveTtlMs) return cached.body;
    const entry: { body: Promise<Body>; at: number; ready?: Body } = { body: this.build(view, format, gzip), at: now };
    this.bodies.set(key, entry);
    entry.body.then(
      (b) => (entry.ready = b),
      () => this.bodies.get(key) === entry && this.bodies.delete(key),
    );
    return entry.body;
  }

  private async build(view: View, format: Format, gzip: boolean): Promise<Body> {
    let main = this.main.get(format);
    if (!main) {
      main = renderCatalog(this.opts.catalog, view, this.opts.orgName, format).then((text) => encoder.encode(text));
      this.main.set(format, main);
    }
    const head = await main;
    const tail = encoder.encode((await this.opts.live(format)) + (format === "openmetrics" ? EOF_LINE : ""));
    const plain = new Uint8Array(head.length + tail.length);
    plain.set(head);
    plain.set(tail, head.length);
    const headers: Record<string, string> = { "content-type": CONTENT_TYPES[format], vary: "Accept, Accept-Encoding" };
    if (gzip) headers["content-encoding"] = "gzip";
    return { bytes: gzip ? Bun.gzipSync(plain) : plain, headers };
  }
}
