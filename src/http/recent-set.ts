/**
 * A bounded set of strings, least recently used out first, each entry forgotten `lifetimeMs` after
 * it was last added or found. Holds keyed hashes of credentials, never credentials.
 */
export class RecentSet {
  /** Insertion order is use order: the first key is the least recently used. */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly size: number,
    private readonly lifetimeMs: number,
    private readonly now: () => number,
  ) {}

  /** Whether `key` is remembered; a hit counts as a use. */
  has(key: string): boolean {
    const at = this.seen.get(key);
    if (at === undefined) return false;
    this.seen.delete(key);
    if (this.now() - at > this.lifetimeMs) return false;
    this.seen.set(key, this.now());
    return true;
  }

  add(key: string): void {
    this.seen.delete(key);
    this.seen.set(key, this.now());
    if (this.seen.size > this.size) this.seen.delete(this.seen.keys().next().value!);
  }
}
