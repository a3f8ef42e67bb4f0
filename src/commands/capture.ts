import { type FolderWriter, openFolder, unusableFolder, type WriteFile } from "../capture/folder.ts";
import { CAPTURE_FORMAT, MANIFEST_FILE, type Manifest } from "../capture/manifest.ts";
import { Pseudonyms, randomSecret } from "../capture/pseudonym.ts";
import { createRecorder } from "../capture/recorder.ts";
import type { Config } from "../config/index.ts";
import type { Snapshot } from "../snapshot/types.ts";
import { exitCodeOf, type OnceDeps, refreshOnce } from "./once.ts";

/** What refreshOnce takes (the diagnosis' field sink and attempt hook included), and the capture's own. */
export interface CaptureDeps extends OnceDeps {
  /** The pseudonyms' secret: random (and never written) unless a test fixes it. */
  secret?: Uint8Array | string;
  /** How files are written (tests fill the disk with it). */
  writeFile?: WriteFile;
}

export interface CaptureResult {
  /** 0 / 1 as for --check (1 too when the folder could not be written); 2: the folder cannot take a capture. */
  code: 0 | 1 | 2;
  snapshot?: Snapshot;
  /** One line saying what was written, or why nothing was. */
  summary: string;
  written?: { requests: number; files: number; bytes: number };
}

/**
 * --capture DIR: one refresh exactly as --check makes it, every request and answer recorded into
 * DIR with identities scrubbed (src/capture/). Nothing unscrubbed and no key is ever written.
 */
export async function captureCommand(dir: string, config: Config, deps: CaptureDeps): Promise<CaptureResult> {
  const unusable = await unusableFolder(dir);
  if (unusable) return { code: 2, summary: `--capture: ${unusable}` };
  let folder: FolderWriter;
  try {
    folder = await openFolder(dir, deps.writeFile);
  } catch (err) {
    return { code: 2, summary: `--capture: cannot create ${dir}: ${(err as Error).message}` };
  }
  const pseudonyms = new Pseudonyms(deps.secret ?? randomSecret());
  const recorder = createRecorder(deps.fetch, {
    limits: config.clsLimits,
    baseUrl: config.baseUrl,
    pseudonyms,
    folder,
    apiKey: () => config.apiKey,
    now: deps.now,
  });
  const snapshot = await refreshOnce(config, { ...deps, fetch: recorder.fetch });
  const requests = await recorder.finish();
  const manifest: Manifest = {
    format: CAPTURE_FORMAT,
    org: pseudonyms.string(config.orgName),
    exporterVersion: deps.build.version,
    capturedAt: new Date(deps.now()).toISOString(),
    requests,
  };
  await folder.write(MANIFEST_FILE, recorder.redact(`${JSON.stringify(manifest, null, 1)}\n`));
  const written = { requests: requests.length, ...folder.written };
  if (folder.failure) return { code: 1, snapshot, summary: `capture: ${folder.failure}`, written };
  const summary =
    `capture: ${requests.length} requests written to ${dir} (${written.files} files, ${written.bytes} bytes), ` +
    `${pseudonyms.size} identities replaced by pseudonyms, no API key; replay it with: npm run sim -- --replay ${dir}`;
  return { code: exitCodeOf(snapshot), snapshot, summary, written };
}
