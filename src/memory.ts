/**
 * Gives memory back once the exporter is idle (the renderer calls it after a scrape's bodies
 * expired). JavaScriptCore collects when allocation pressure asks for it, which an idle process
 * never creates, so the garbage of the last refresh and render would stay resident for tens of
 * seconds: a full collection now frees it, and `Bun.shrink()` also drops compiled code, which
 * at 17,000 series is several MB (recompiled when next needed; see BENCHMARKS.md (c)).
 */
export function releaseMemory(): void {
  Bun.gc(true);
  // Marked deprecated in bun-types, present in the pinned Bun; optional so a Bun without it still runs.
  (Bun as { shrink?: () => void }).shrink?.();
}
