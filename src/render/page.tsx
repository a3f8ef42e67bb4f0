/**
 * The status page GET /, server-rendered with hono/jsx (which escapes every text and attribute: names
 * from CLS may hold markup). No inline script or style: the style sheet and scripts are assets.
 * Loaded lazily by the route (see src/http/app.ts), so the exporter's idle memory does not carry it.
 */
import type { Health } from "../health.ts";
import { PAGE_CSS, PAGE_JS, UPLOT_CSS, UPLOT_JS } from "./assets.ts";
import type { View } from "./catalog.ts";
import { Charts, Demand, Entitlements } from "./page-demand.tsx";
import { demandSections, entitlementLines, type ReportState } from "./page-model.ts";

export interface PageOptions {
  orgName: string;
  metricsPath: string;
  /** The report over the last 30 days, or why there is none. */
  report: ReportState;
  /** Milliseconds since the epoch. */
  now: number;
  /** Shown at the top when set (the demo says its history is simulated). */
  banner?: string;
}

const CLS_STATE: Record<Health["cls"]["state"], string> = {
  waiting: "waiting for the first refresh",
  restored: "serving the snapshot stored before the restart until CLS answers",
  up: "up: the last refresh succeeded",
  failing: "failing: the last refresh did not fully succeed",
};

const age = (h: Health) => (h.data_age_seconds === null ? "never" : `${h.data_age_seconds} s ago (${h.cls.collected_at})`);

function historyLine(h: Health["history"]): string {
  if (!h.enabled) return "off";
  if (h.up) return h.last_write_at ? `recording (last write ${h.last_write_at})` : "recording";
  return `not recorded: ${h.reason}${h.hint ? ` (${h.hint})` : ""}`;
}

function otlpLine(o: Health["otlp"]): string {
  if (!o.enabled) return "off";
  if (o.up === null) return "no push has ended yet";
  if (o.up) return `pushing (last accepted ${o.last_success_at})`;
  return `failing: ${o.reason} (${o.error}); last accepted ${o.last_success_at ?? "never"}`;
}

/** Why CLS is failing, cause by cause. */
function Failures({ h }: { h: Health }) {
  const invalid = Object.entries(h.cls.invalid_items);
  if (h.cls.failures.length === 0 && invalid.length === 0) return null;
  return (
    <>
      <h3>What is failing</h3>
      <ul class="failures">
        {h.cls.failures.map((f) => (
          <li>
            <b>{f.endpoint}</b>: {f.reason}
            {f.status === null ? "" : ` (HTTP ${f.status})`} × {f.parts}
            {f.serving_last_good > 0 ? ` (${f.serving_last_good} serving their last good values)` : ""}
            {f.hint ? ` — ${f.hint}` : ""}
            <br />
            <small>{f.error}</small>
          </li>
        ))}
        {invalid.map(([endpoint, count]) => (
          <li>
            <b>{endpoint}</b>: {count} item(s) not fully understood (see nvidia_cls_invalid_items)
          </li>
        ))}
      </ul>
    </>
  );
}

function HealthView({ view, health, orgName }: { view: View; health: Health; orgName: string }) {
  const s = view.snapshot;
  const rows = [
    ["Organisation", orgName],
    ["CLS", CLS_STATE[health.cls.state]],
    ["Data collected", age(health)],
    ["Last full success", health.cls.last_success_at ?? "never since start"],
    ["License servers", String(s?.servers.length ?? 0)],
    ["Server features", String(s?.serverFeatures.length ?? 0)],
    ["History", historyLine(health.history)],
    ["OTLP push", otlpLine(health.otlp)],
    ["Version", `${view.build.version} (${view.build.revision}), Bun ${view.build.bunVersion}`],
  ];
  return (
    <section id="health">
      <h2>Exporter health</h2>
      <table class="health">
        {rows.map(([k, v]) => (
          <tr>
            <th>{k}</th>
            <td>{v}</td>
          </tr>
        ))}
      </table>
      <Failures h={health} />
    </section>
  );
}

function Links({ metricsPath }: { metricsPath: string }) {
  return (
    <nav class="links">
      <a href={metricsPath}>Metrics</a> · <a href="/history">History (24 h)</a> ·{" "}
      <a href="/history?from=-30d&format=csv">History as CSV (30 d)</a> · <a href="/report">Report (30 d)</a> ·{" "}
      <a href="/report?format=csv">Report as CSV</a> · <a href="/healthz">Health</a>
    </nav>
  );
}

/** The whole page as HTML text. */
export function renderPage(view: View, health: Health, opts: PageOptions): string {
  const sections = demandSections(view.snapshot, opts.report);
  const page = (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        {/* No icon file: without this line every browser asks for /favicon.ico and logs its 404. */}
        <link rel="icon" href="data:," />
        <title>NVIDIA CLS exporter</title>
        <link rel="stylesheet" href={UPLOT_CSS.path} />
        <link rel="stylesheet" href={PAGE_CSS.path} />
        <script src={UPLOT_JS.path} defer />
        <script src={PAGE_JS.path} defer />
      </head>
      <body>
        {opts.banner ? (
          <p class="banner" role="note">
            {opts.banner}
          </p>
        ) : (
          ""
        )}
        <header>
          <h1>NVIDIA License Server exporter</h1>
          <p class="org">{opts.orgName}</p>
          <Links metricsPath={opts.metricsPath} />
        </header>
        <main>
          <Demand sections={sections} />
          <Charts features={sections.org.map((l) => l.row.labels.feature_name)} historyOn={health.history.enabled} />
          <Entitlements lines={entitlementLines(view.snapshot, opts.now / 1000)} />
          <HealthView view={view} health={health} orgName={opts.orgName} />
        </main>
      </body>
    </html>
  );
  return `<!doctype html>\n${page.toString()}`;
}
