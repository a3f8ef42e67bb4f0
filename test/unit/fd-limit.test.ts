import { expect, test } from "bun:test";
import { FD_BASE, FD_CLIENT_CONNECTIONS, fdNeed, logFdLimit, parseFdLimit } from "../../src/fd-limit.ts";
import { createLogger } from "../../src/log.ts";

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units     
Max processes             63704                63704                processes 
Max open files            %SOFT%                 %HARD%                 files     
Max locked memory         8388608              8388608              bytes     
`;
const limits = (soft: string, hard: string) => LIMITS.replace("%SOFT%", soft).replace("%HARD%", hard);

function logged(read: () => string, parallelism = 8): string[] {
  const lines: string[] = [];
  logFdLimit(createLogger({ write: (l) => lines.push(l) }), parallelism, read);
  return lines;
}

test("parses Max open files of /proc/self/limits, unlimited included", () => {
  expect(parseFdLimit(limits("1024", "524288"))).toEqual({ soft: 1024, hard: 524288 });
  expect(parseFdLimit(limits("unlimited", "unlimited"))).toEqual({ soft: Infinity, hard: Infinity });
  expect(parseFdLimit("Max processes 1 1 processes\n")).toBeUndefined();
});

test("the need: a base, two descriptors per CLS call in flight, and room for client connections", () => {
  expect(fdNeed(8)).toBe(FD_BASE + 16 + FD_CLIENT_CONNECTIONS);
  expect(fdNeed(64)).toBeGreaterThan(fdNeed(8));
});

test("a limit that fits is logged at info with what is needed", () => {
  const [line, ...rest] = logged(() => limits("524288", "524288"));
  expect(line).toContain('level=info msg="open files limit" limit=524288 hard_limit=524288 needed=1104');
  expect(rest).toEqual([]);
});

test("a low limit is warned about, with how many connections fit and where to raise it", () => {
  const [line] = logged(() => limits("64", "64"));
  expect(line).toContain('level=warn msg="open files limit is low for this configuration');
  expect(line).toContain("limit=64 hard_limit=64 needed=1104 connections_that_fit=0");
  expect(line).toContain("LimitNOFILE");
  expect(logged(() => limits("1103", "1103"), 8)[0]).toContain("level=warn");
  expect(logged(() => limits("1104", "1104"), 8)[0]).toContain("level=info");
});

test("without /proc (not Linux) the limit is said to be unknown", () => {
  const [line] = logged(() => {
    throw new Error("ENOENT");
  });
  expect(line).toContain('msg="open files limit" limit=unknown needed=1104');
});
