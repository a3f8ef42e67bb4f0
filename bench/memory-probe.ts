/**
 * Heap probe for bench/memory-attribution.ts, loaded into the exporter process with Bun's preload
 * (`bun run --preload <abs>/bench/memory-probe.ts src/index.ts`), so src/ stays untouched.
 *
 * On SIGUSR2 it runs a full collection and writes one JSON object to MEMORY_PROBE_FILE: the JS
 * heap as JavaScriptCore counts it (`heapSize` = live cells plus `extraMemorySize`, the contents of
 * strings and buffers; `heapCapacity` = what the heap holds from the allocator) and the largest
 * object types by count. Writes nothing to stdout or stderr. Without MEMORY_PROBE_FILE it does nothing.
 */
import { heapStats } from "bun:jsc";
import { writeFileSync } from "node:fs";

const file = process.env.MEMORY_PROBE_FILE;

if (file) {
  process.on("SIGUSR2", () => {
    try {
      Bun.gc(true);
      const h = heapStats();
      const types = Object.entries(h.objectTypeCounts)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 8);
      writeFileSync(
        file,
        JSON.stringify({
          heapSize: h.heapSize,
          heapCapacity: h.heapCapacity,
          extraMemorySize: h.extraMemorySize,
          objectCount: h.objectCount,
          types,
        }),
      );
    } catch {
      // A probe must never disturb the process it measures.
    }
  });
}
