import { expect, test } from "bun:test";

/** Strict types are part of the test suite, so CI fails on a type error like on a failed assertion. */
test("tsc --noEmit finds no type errors", async () => {
  const root = new URL("..", import.meta.url).pathname;
  const tsc = Bun.spawn([process.execPath, "x", "tsc", "--noEmit", "-p", root], { cwd: root, stdout: "pipe", stderr: "pipe" });
  const [code, out, err] = await Promise.all([tsc.exited, new Response(tsc.stdout).text(), new Response(tsc.stderr).text()]);
  expect(out + err).toBe("");
  expect(code).toBe(0);
}, 60_000);
