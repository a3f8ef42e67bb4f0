/**
 * The test suite's OTLP gRPC receiver (test/integration/otlp-receiver.ts) as a process of its own,
 * the collector of bench/otlp.ts and bench/soak.ts (started through bench/lib/collector.ts): decoding
 * the pushes does not share the measured event loop, and a collector that goes down is a process that ends.
 *
 *   bun run bench/otlp-receiver.ts [--port 0] [--lifetime 3600]
 *
 * Listens on 127.0.0.1, prints `listening port=N`, then `pushes=N` as pushes arrive (N decoded since
 * the last such line); exits after --lifetime seconds at the latest, so it never outlives a benchmark.
 */
import { parseArgs } from "node:util";
import { startReceiver } from "../test/integration/otlp-receiver.ts";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  strict: true,
  options: {
    port: { type: "string", default: "0" },
    lifetime: { type: "string", default: "3600" },
  },
});

const receiver = await startReceiver({ port: Number(values.port) });
console.log(`listening port=${receiver.port}`);
// The decoded pushes are only counted; dropping them keeps this process small.
setInterval(() => {
  const n = receiver.pushes.length;
  if (n === 0) return;
  receiver.pushes.length = 0;
  console.log(`pushes=${n}`);
}, 250);
setTimeout(() => process.exit(0), Number(values.lifetime) * 1000);
