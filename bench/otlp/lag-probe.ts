/**
 * Longest stall of this process's event loop: a 1 ms interval notes how late each tick is.
 * Synchronous work shows as one late tick, so the maximum over a push is its longest blocking
 * stretch (GC included).
 */
export function lagProbe() {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 1);
    last = now;
  }, 1);
  return {
    reset: () => {
      worst = 0;
      last = performance.now();
    },
    worst: () => worst,
    stop: () => clearInterval(timer),
  };
}
