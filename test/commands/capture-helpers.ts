import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pseudonyms } from "../../src/capture/pseudonym.ts";
import { isIdName, KEPT_FIELDS } from "../../src/capture/scrub-json.ts";
import type { SimModel } from "../../src/sim/model.ts";
import { firstLine } from "../first-line.ts";

const EXPORTER = new URL("../../src/index.ts", import.meta.url).pathname;
const SIM = new URL("../../src/sim/main.ts", import.meta.url).pathname;

export const tempDir = (prefix: string): string => mkdtempSync(join(tmpdir(), prefix));

/** The simulator's replay of `dir` as a process; its base URL. */
export async function replayProcess(dir: string): Promise<{ url: string; stop(): Promise<void> }> {
  const proc = Bun.spawn([process.execPath, "run", SIM, "--replay", dir], { stdout: "pipe", stderr: "pipe" });
  const url = await firstLine(proc.stdout);
  if (!url.startsWith("http://")) throw new Error(`replay did not start: ${await new Response(proc.stderr).text()}`);
  return {
    url,
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
    },
  };
}

/** The exporter as a process against `baseUrl`: its /metrics once the first refresh is in, then it is stopped and its folder removed. */
export async function exporterMetrics(baseUrl: string, org: string, key: string, env: Record<string, string> = {}): Promise<string> {
  const data = tempDir("cls-capture-exp-");
  // Port 0: the exporter binds a free port itself and names it, so no other process can take it in between.
  const proc = Bun.spawn([process.execPath, "run", EXPORTER], {
    env: {
      PATH: process.env.PATH ?? "",
      DB_PATH: join(data, "h.db"),
      NVIDIA_API_KEY: key,
      NVIDIA_ORG_NAME: org,
      NVIDIA_API_BASE_URL: baseUrl,
      LISTEN_ADDRESS: "127.0.0.1:0",
      ...env,
    },
    stdout: "ignore",
    stderr: "pipe",
  });
  let log = "";
  const reading = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stderr) log += decoder.decode(chunk, { stream: true });
  })();
  try {
    for (let i = 0; i < 200; i++) {
      const url = log.match(/msg=listening url=(http:\/\/\S+)/)?.[1];
      const text = url
        ? await fetch(`${url}/metrics`).then(
            (r) => r.text(),
            () => "",
          )
        : "";
      if (text.includes("nvidia_cls_up{")) return text;
      await Bun.sleep(50);
    }
    throw new Error(`no metrics: ${log}`);
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
    await reading;
    rmSync(data, { recursive: true, force: true });
  }
}

/** The families CLS data makes (self-metrics of the exporter aside). */
const CLS_DERIVED = /^nvidia_cls_(up|entitlement_|license_server_|license_pool_|unattributed_leases|invalid_items)/;
const SAMPLE = /^(\w+)(?:\{(.*)\})? (\S+)$/;
const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g;
/** Labels that carry identities (org, group, server, pool, product key, entitlement): names and ids, but not what is licensed. */
const isIdentityLabel = (name: string) => /(_id|_name)$/.test(name) && name !== "feature_name" && name !== "product_name";

const unescapeLabel = (v: string) => v.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
const escapeLabel = (v: string) => v.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");

/** The CLS-derived samples, sorted; with `p`, every identity label value replaced by its pseudonym. */
export function clsSeries(text: string, p?: Pseudonyms): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const m = SAMPLE.exec(line);
    if (!m || !CLS_DERIVED.test(m[1]!)) continue;
    const labels = [...(m[2] ?? "").matchAll(LABEL)].map(([, k, v]) => {
      const value = p && isIdentityLabel(k!) && v !== "unknown" ? escapeLabel(p.string(unescapeLabel(v!))) : v;
      return `${k}="${value}"`;
    });
    out.push(`${m[1]}{${labels.join(",")}} ${m[3]}`);
  }
  return out.sort();
}

export const pseudonymsOf = (secret: string) => new Pseudonyms(secret);

/** Every identity the simulator serves: org name, ids, names, product keys, entitlement ids, any other string CLS data holds. */
export function originalIdentities(model: SimModel): Set<string> {
  const found = new Set<string>([model.orgName]);
  const walk = (v: unknown, name: string) => {
    if (typeof v === "string" && !KEPT_FIELDS.has(name) && !/^\d{4}-\d{2}-\d{2}/.test(v) && v.length >= 4) found.add(v);
    else if (typeof v === "number" && isIdName(name) && String(v).length >= 4) found.add(String(v));
    else if (Array.isArray(v)) for (const x of v) walk(x, name);
    else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  walk(model.virtualGroups, "");
  for (const list of model.serversByVg.values()) walk(list, "");
  for (const list of model.poolsByServer.values()) walk(list, "");
  for (const list of model.clientsByVg.values()) for (const c of list) walk([c.wire, c.instanceIds], "");
  return found;
}

/** Every file of the capture as text, plus the inflated compressedClients found in its JSON bodies. */
export function captureTexts(dir: string): Map<string, string> {
  const texts = new Map<string, string>();
  for (const f of readdirSync(dir)) {
    const text = readFileSync(join(dir, f), "utf8");
    texts.set(f, text);
    const m = /"compressedClients":"([^"]*)"/.exec(text);
    if (m) texts.set(`${f} (compressedClients)`, new TextDecoder().decode(Bun.gunzipSync(Buffer.from(m[1]!, "base64"))));
  }
  return texts;
}

/** Where in the capture a text occurs (a pseudonym-sized number is bounded so "4101" does not match inside a longer one). */
export function occurrences(texts: Map<string, string>, needle: string): string[] {
  const re = /^\d+$/.test(needle) ? new RegExp(`(?<![\\d])${needle}(?![\\d])`) : undefined;
  return [...texts].filter(([, t]) => (re ? re.test(t) : t.includes(needle))).map(([f]) => `${needle} in ${f}`);
}
