import { expect, test } from "bun:test";
import { Writable } from "node:stream";
import { streamWriter } from "../../src/log.ts";

test("a stream that fails asynchronously (EPIPE, ENOSPC): each line dropped is counted, the error event handled", async () => {
  const failing = new Writable({
    write(_chunk, _enc, done) {
      done(Object.assign(new Error("write EPIPE"), { code: "EPIPE" }));
    },
  });
  let dropped = 0;
  const write = streamWriter(failing, () => dropped++);
  write("one\n");
  await Bun.sleep(5);
  // The stream is destroyed after its first error: later writes fail too, and are counted.
  write("two\n");
  write("three\n");
  await Bun.sleep(5);
  expect(dropped).toBe(3);
});

test("a stream that throws on write: the line is dropped and counted, nothing thrown", () => {
  const throwing = Object.assign(new Writable(), {
    write: () => {
      throw new Error("EBADF");
    },
  });
  let dropped = 0;
  const write = streamWriter(throwing, () => dropped++);
  expect(() => write("one\n")).not.toThrow();
  expect(dropped).toBe(1);
});

test("a working stream: lines written, none counted", async () => {
  const lines: string[] = [];
  const ok = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  let dropped = 0;
  streamWriter(ok, () => dropped++)("one\n");
  await Bun.sleep(5);
  expect(lines).toEqual(["one\n"]);
  expect(dropped).toBe(0);
});
