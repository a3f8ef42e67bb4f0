import type { Health } from "../health.ts";
import { PAGE_CSS } from "./assets.ts";
import type { View } from "./catalog.ts";

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

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

/** Why CLS is failing, cause by cause; everything from CLS is escaped. */
function failureList(h: Health): string {
  if (h.cls.failures.length === 0 && Object.keys(h.cls.invalid_items).length === 0) return "";
  const items = h.cls.failures.map(
    (f) =>
      `<li><b>${escapeHtml(f.endpoint)}</b>: ${escapeHtml(f.reason)}${f.status === null ? "" : ` (HTTP ${f.status})`} × ${f.parts}` +
      `${f.serving_last_good > 0 ? ` (${f.serving_last_good} serving their last good values)` : ""}` +
      `${f.hint ? ` — ${escapeHtml(f.hint)}` : ""}<br><small>${escapeHtml(f.error)}</small></li>`,
  );
  for (const [endpoint, count] of Object.entries(h.cls.invalid_items))
    items.push(`<li><b>${escapeHtml(endpoint)}</b>: ${count} item(s) not fully understood (see nvidia_cls_invalid_items)</li>`);
  return `<h2>What is failing</h2><ul>${items.join("")}</ul>`;
}

/** The landing page: what this is, where the metrics are, and the exporter's health with its causes. */
export function renderPage(view: View, health: Health, opts: { orgName: string; metricsPath: string }): string {
  const s = view.snapshot;
  const rows = [
    ["Organisation", opts.orgName],
    ["CLS", CLS_STATE[health.cls.state]],
    ["Data collected", age(health)],
    ["Last full success", health.cls.last_success_at ?? "never since start"],
    ["License servers", String(s?.servers.length ?? 0)],
    ["Server features", String(s?.serverFeatures.length ?? 0)],
    ["History", historyLine(health.history)],
    ["OTLP push", otlpLine(health.otlp)],
    ["Version", `${view.build.version} (${view.build.revision}), Bun ${view.build.bunVersion}`],
  ];
  const table = rows.map(([k, v]) => `<tr><th>${escapeHtml(k!)}</th><td>${escapeHtml(v!)}</td></tr>`).join("");
  const path = escapeHtml(opts.metricsPath);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>NVIDIA CLS exporter</title>
<link rel="stylesheet" href="${escapeHtml(PAGE_CSS.path)}"></head>
<body><h1>NVIDIA License Server exporter</h1>
<table>${table}</table>
${failureList(health)}
<p><a href="${path}">Metrics</a> · <a href="/history">History (24 h)</a> · <a href="/history?from=-30d&amp;format=csv">History as CSV (30 d)</a> · <a href="/healthz">Health</a></p>
</body></html>
`;
}
