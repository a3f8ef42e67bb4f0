/**
 * The baseline of the throughput benchmark: a bare Bun.serve answering the exact bytes and headers
 * the exporter served (captured by throughput.ts into DIR), gzip when the client accepts it.
 *
 *   bun run bench/bare-server.ts DIR     prints its URL on stdout, runs until killed
 */
const dir = Bun.argv[2];
if (!dir) throw new Error("usage: bun run bench/bare-server.ts DIR");

interface Captured {
  plain: Record<string, string>;
  gzip: Record<string, string>;
}
const headers = (await Bun.file(`${dir}/headers.json`).json()) as Captured;
const plain = await Bun.file(`${dir}/plain.bin`).bytes();
const gzipped = await Bun.file(`${dir}/gzip.bin`).bytes();

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch(req) {
    return req.headers.get("accept-encoding")?.includes("gzip")
      ? new Response(gzipped, { headers: headers.gzip })
      : new Response(plain, { headers: headers.plain });
  },
});
console.log(`http://127.0.0.1:${server.port}`);
process.on("SIGTERM", () => process.exit(0));
// Never outlive a benchmark that died without killing its children.
setTimeout(() => process.exit(0), 15 * 60_000).unref();

export {};
