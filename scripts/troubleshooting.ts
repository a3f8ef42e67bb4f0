/**
 * Generates TROUBLESHOOTING.md's table of refresh-log causes from src/snapshot/causes.ts: the
 * `reason` and `hint` a refresh's log line carries, with what to do about each.
 * `bun run scripts/troubleshooting.ts --write` updates the file; test/deploy/troubleshooting.test.ts
 * fails when the file and the code drift apart.
 */

import { ENDPOINT_NAMES } from "../src/cls/endpoints.ts";
import { REFRESH_ERROR_REASONS } from "../src/errors.ts";
import { type CauseKind, hintFor, REASON_TEXT } from "../src/snapshot/causes.ts";

/** What to do beyond the hint; keyed by every cause, so a new one does not type-check without its fix. */
const FIXES: Record<CauseKind, string> = {
  "401":
    'Put the right key in `NVIDIA_API_KEY` or the file `NVIDIA_API_KEY_FILE` names (a changed file is re-read without a restart); `--check` tries it once. README "Secrets and rotation".',
  "403":
    'Create a key with access type Licensing State for this org in the NVIDIA Licensing Portal; check `NVIDIA_ORG_NAME`. README "Checking your CLS org".',
  "404":
    'Check `NVIDIA_ORG_NAME` (for the org list); for the others the object was removed between two calls and the next refresh does without it. README "How a refresh works".',
  "429":
    'Lengthen `CACHE_TTL` or lower `PARALLELISM`; with replicas on PostgreSQL only the leader calls CLS. README "How a refresh works" (Retry-After).',
  "4xx": "Read the `error` field: CLS's answer says what it refused. Not retried; `--check` shows the call.",
  "5xx":
    "A CLS outage: nothing to fix on this side; the last good values are served until CLS answers. Check NVIDIA's status page if it lasts.",
  network:
    'Check `NVIDIA_API_BASE_URL`, DNS, the firewall and `HTTPS_PROXY`/`NO_PROXY` from where the exporter runs. README "Proxies and private CAs".',
  timeout:
    'Raise `SCRAPE_TIMEOUT` for a large or slow org (the group list has a third of it); check the network path. README "How a refresh works".',
  decode:
    'Something other than CLS answered (a proxy\'s page, a redirect, which is never followed), or CLS changed its format: run `--check`, then `--capture` and report it. README "Reporting a problem with your CLS org".',
  too_large: 'The log line names the bound: raise that `CLS_MAX_*` setting if the org really is that large. README "How a refresh works".',
  invalid_items:
    'Run `--check` to see which fields; the items are kept with those fields absent (or dropped without an id). Report it with `--capture`. README "Reporting a problem with your CLS org".',
};

const code = (text: string) => `\`${text}\``;
/** The log line gives the exact status where the metric counts its class. */
const STATUS_CLASS: Partial<Record<CauseKind, string>> = { "4xx": "the status (`400`, `409`, …)", "5xx": "the status (`500`, `502`, …)" };
const cell = (text: string) => text.replaceAll("|", "\\|");
/** The org's first call: every cause but a 404 has one hint whatever the endpoint. */
const firstEndpoint = ENDPOINT_NAMES[0]!;

/** One row per cause; a 404 per endpoint, since its hint says which thing CLS does not know. */
function causeRows(): string[][] {
  const rows: string[][] = [];
  for (const kind of [...REFRESH_ERROR_REASONS, "invalid_items"] as const) {
    if (kind === "404") {
      for (const e of ENDPOINT_NAMES)
        rows.push([code("404"), code(e), hintFor(e, kind) ?? "", e === firstEndpoint ? FIXES[kind] : "as above"]);
      continue;
    }
    const reason = STATUS_CLASS[kind] ?? code(kind);
    rows.push([reason, "any", hintFor(firstEndpoint, kind) ?? "", FIXES[kind]]);
    if (kind === "401") {
      const rotated = hintFor(firstEndpoint, kind, { keyRereadAt: 0 })!.replace(new Date(0).toISOString(), "<time>");
      rows.push([
        code("401"),
        "any, after the key file changed",
        rotated,
        "The new key in the file is the one refused: fix the file's content.",
      ]);
    }
  }
  return rows;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

export function causesBlock(): string {
  const items = Object.entries(REASON_TEXT).map(([reason, text]) => [code(reason), text]);
  return [
    table(["log `reason`", "`endpoint`", "log `hint`", "what to do"], causeRows()),
    "",
    "An unreadable item's `error` says how many items had which fault:",
    "",
    table(["fault", "the items were kept or dropped"], items),
  ].join("\n");
}

/** TROUBLESHOOTING.md with its generated block replaced by the current one. */
export function withCauses(doc: string): string {
  const re = /(<!-- causes:start[^>]*-->\n)[\s\S]*?(<!-- causes:end -->)/;
  if (!re.test(doc)) throw new Error("TROUBLESHOOTING.md lacks the <!-- causes:start --> … <!-- causes:end --> markers");
  return doc.replace(re, (_, a: string, b: string) => `${a}${causesBlock()}\n${b}`);
}

if (import.meta.main) {
  const path = new URL("../TROUBLESHOOTING.md", import.meta.url);
  const doc = await Bun.file(path).text();
  const updated = withCauses(doc);
  if (process.argv.includes("--write")) await Bun.write(path, updated);
  else process.stdout.write(updated === doc ? "TROUBLESHOOTING.md is up to date\n" : "TROUBLESHOOTING.md is stale: run with --write\n");
}
