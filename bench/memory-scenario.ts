/**
 * What (c) measures, shared by bench/memory.ts and bench/memory-attribution.ts: the scrapes made
 * before the exporter is left idle, and how its memory is read (the gate's org is XL_ORG in
 * bench/lib/simulator.ts).
 */

/** Every format a scraper may ask for: text and OpenMetrics, each plain and gzip. */
export const SCRAPES: Record<string, string>[] = [
  {},
  { "accept-encoding": "gzip" },
  { accept: "application/openmetrics-text; version=1.0.0" },
  { accept: "application/openmetrics-text; version=1.0.0", "accept-encoding": "gzip" },
];

/** 3 rounds of the 4 scrapes plus / and /healthz; returns the plain text body of the first scrape. */
export async function scrapeRounds(url: string): Promise<string> {
  let first = "";
  for (let i = 0; i < 3; i++) {
    for (const headers of SCRAPES) {
      const res = await fetch(`${url}/metrics`, { headers, decompress: true });
      const text = await res.text();
      if (!res.ok) throw new Error(`scrape answered ${res.status}`);
      if (i === 0 && Object.keys(headers).length === 0) first = text;
    }
    await fetch(`${url}/`).then((r) => r.text());
    await fetch(`${url}/healthz`).then((r) => r.text());
  }
  return first;
}

/** VmRSS, VmHWM, RssAnon and RssFile of a process, in bytes. */
export async function memoryOf(pid: number): Promise<Record<"VmRSS" | "VmHWM" | "RssAnon" | "RssFile", number>> {
  const status = await Bun.file(`/proc/${pid}/status`).text();
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN) * 1024;
  return { VmRSS: kb("VmRSS"), VmHWM: kb("VmHWM"), RssAnon: kb("RssAnon"), RssFile: kb("RssFile") };
}
