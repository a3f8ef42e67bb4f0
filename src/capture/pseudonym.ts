import { createHmac, randomBytes } from "node:crypto";

/**
 * Stable pseudonyms for the identities of one capture: a keyed hash (HMAC-SHA256) of the original
 * under a secret that is never written, so the same original gets the same pseudonym everywhere in
 * the capture (joins still hold) and nobody holding the capture can go back. The shape is kept:
 * digits stay digits (an id of digits stays an integer), a UUID stays a UUID, letters stay letters
 * of the same case, punctuation stays; text with white space becomes lowercase letters of its length.
 */

/** Bytes of the random secret the CLI uses; tests pass a fixed one to map originals themselves. */
export const SECRET_BYTES = 32;
/** Digits of a numeric pseudonym at least: short ids (1, 2, 3…) would collide at once on fewer. */
export const MIN_NUMERIC_DIGITS = 9;
/** Digits a numeric pseudonym may have and still be a JSON number read exactly (2^53 ≈ 9.0e15). */
const MAX_NUMERIC_DIGITS = 15;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DIGITS = /^\d+$/;
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const UPPER = LOWER.toUpperCase();
const HEX = "0123456789abcdef";

export const randomSecret = (): Uint8Array => randomBytes(SECRET_BYTES);

export class Pseudonyms {
  private readonly byOriginal = new Map<string, string>();
  private readonly taken = new Set<string>();

  constructor(private readonly secret: Uint8Array | string) {}

  /** The pseudonym of a string identity ("" stays ""). */
  string(original: string): string {
    if (original === "") return "";
    const known = this.byOriginal.get(original);
    if (known !== undefined) return known;
    // A collision (two originals, one pseudonym) would merge two series: the next round is tried instead.
    let out = "";
    for (let round = 0; round === 0 || this.taken.has(out); round++) out = this.shaped(original, round);
    this.byOriginal.set(original, out);
    this.taken.add(out);
    return out;
  }

  /** The pseudonym of a numeric id: an integer again, the same digits its text form gets. */
  number(original: number): number {
    if (!Number.isSafeInteger(original)) return original;
    const p = Number(this.string(String(Math.abs(original))));
    return original < 0 ? -p : p;
  }

  /** Whether `original` was replaced somewhere in the capture already. */
  has(original: string): boolean {
    return this.byOriginal.has(original);
  }

  /** How many identities were replaced. */
  get size(): number {
    return this.byOriginal.size;
  }

  private shaped(original: string, round: number): string {
    const bytes = this.stream(original, round, Math.max(original.length, MIN_NUMERIC_DIGITS));
    if (DIGITS.test(original) && original.length <= MAX_NUMERIC_DIGITS)
      return numeric(bytes, Math.max(original.length, MIN_NUMERIC_DIGITS));
    if (UUID.test(original)) return mapChars(original, bytes, (c, b) => (c === "-" ? c : caseOf(c, HEX[b % 16]!)));
    // Text with spaces is free text (a description, a message): only its length is kept, not its words.
    if (/\s/.test(original)) return mapChars(original, bytes, (_, b) => LOWER[b % 26]!);
    return mapChars(original, bytes, letterLike);
  }

  /** `n` bytes of HMAC output for (round, original): blocks of 32 bytes, each keyed by its index. */
  private stream(original: string, round: number, n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let block = 0; block * 32 < n; block++) {
      const h = createHmac("sha256", this.secret).update(`${round}\u0000${block}\u0000${original}`).digest();
      out.set(h.subarray(0, Math.min(32, n - block * 32)), block * 32);
    }
    return out;
  }
}

function numeric(bytes: Uint8Array, length: number): string {
  let s = String(1 + (bytes[0]! % 9));
  for (let i = 1; i < length; i++) s += String(bytes[i]! % 10);
  return s;
}

function mapChars(s: string, bytes: Uint8Array, f: (c: string, b: number) => string): string {
  let out = "";
  let i = 0;
  for (const c of s) out += f(c, bytes[i++ % bytes.length]!);
  return out;
}

const caseOf = (c: string, hex: string) => (c >= "A" && c <= "F" ? hex.toUpperCase() : hex);

/** Letters stay letters of their case, digits digits; separators that give a name its shape stay; anything else becomes a letter. */
function letterLike(c: string, b: number): string {
  if (c >= "a" && c <= "z") return LOWER[b % 26]!;
  if (c >= "A" && c <= "Z") return UPPER[b % 26]!;
  if (c >= "0" && c <= "9") return String(b % 10);
  if (" -_.:/@".includes(c)) return c;
  return LOWER[b % 26]!;
}
