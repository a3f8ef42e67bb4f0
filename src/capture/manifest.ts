import { z } from "zod";

/** The format of a capture folder: manifest.json plus one file per kept body. Read back by the simulator's replay. */
export const CAPTURE_FORMAT = "nvidia-cls-capture/1";
export const MANIFEST_FILE = "manifest.json";

const headers = z.record(z.string(), z.string());

const body = z.discriminatedUnion("kind", [
  /** A kept body: the scrubbed JSON text, or a stand-in for one that was not JSON. `gzip`: the replay sends it gzip-encoded. */
  z.object({ kind: z.enum(["json", "standin"]), file: z.string().regex(/^(?!\.+$)[\w.-]{1,128}$/), gzip: z.boolean() }),
  /** Over CLS_MAX_RESPONSE_BYTES: not kept; the replay sends `bytes` of whitespace. */
  z.object({ kind: z.literal("cut"), bytes: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER) }),
  /** A body that broke off while read (the client saw the same break). */
  z.object({ kind: z.literal("broken") }),
]);

export const captureEntry = z.object({
  seq: z.number().int().min(1),
  method: z.string(),
  /** Below the configured base URL, identities replaced. */
  path: z.string().startsWith("/"),
  query: headers,
  requestHeaders: headers,
  /** Milliseconds from the start of the capture to the request, and from the request to the end of its body. */
  startedMs: z.number(),
  durationMs: z.number(),
  /** answered: an HTTP status came back; timeout / network: none did (no body). */
  outcome: z.enum(["answered", "timeout", "network"]),
  /** For a failed call: the error's name (never its message, which may name hosts or ids). */
  error: z.string().optional(),
  status: z.number().int().min(100).max(599).optional(),
  responseHeaders: headers.optional(),
  body: body.optional(),
});

export const manifestSchema = z.object({
  format: z.literal(CAPTURE_FORMAT),
  /** The org's pseudonym: what NVIDIA_ORG_NAME is set to against the replay. */
  org: z.string().min(1),
  exporterVersion: z.string(),
  capturedAt: z.string(),
  requests: z.array(captureEntry),
});

export type CaptureEntry = z.infer<typeof captureEntry>;
export type Manifest = z.infer<typeof manifestSchema>;
