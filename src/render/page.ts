import type { View } from "./catalog.ts";

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** The landing page: what this is, where the metrics are, and whether CLS answered. */
export function renderPage(view: View, opts: { orgName: string; metricsPath: string; now: number }): string {
  const s = view.snapshot;
  const status =
    s === undefined
      ? "waiting for the first refresh"
      : s.up
        ? "up: the last refresh succeeded"
        : "down: the last refresh failed in part or whole";
  const age = s ? `${Math.round((opts.now - s.collectedAt) / 1000)} s ago` : "never";
  const rows = [
    ["Organisation", opts.orgName],
    ["CLS", status],
    ["Data collected", age],
    ["License servers", String(s?.servers.length ?? 0)],
    ["Server features", String(s?.serverFeatures.length ?? 0)],
    ["Version", `${view.build.version} (${view.build.revision}), Bun ${view.build.bunVersion}`],
  ];
  const table = rows.map(([k, v]) => `<tr><th>${escapeHtml(k!)}</th><td>${escapeHtml(v!)}</td></tr>`).join("");
  const path = escapeHtml(opts.metricsPath);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>NVIDIA CLS exporter</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:48rem}th{text-align:left;padding-right:1rem}</style></head>
<body><h1>NVIDIA License Server exporter</h1>
<table>${table}</table>
<p><a href="${path}">Metrics</a> · <a href="/history">History (24 h)</a> · <a href="/history?from=-30d&amp;format=csv">History as CSV (30 d)</a> · <a href="/healthz">Health</a></p>
</body></html>
`;
}
