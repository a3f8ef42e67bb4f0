import { describe, expect, test } from "bun:test";
import { readFlags, splitCommand } from "../../src/config/flags.ts";

const split = (argv: string[]) => {
  const problems: string[] = [];
  return { ...splitCommand(argv, problems), problems };
};

describe("splitCommand", () => {
  test("no command: the command line is left as it is", () => {
    const argv = ["-cache-ttl", "30s", "--nvidia-org-name=o"];
    expect(split(argv)).toEqual({ command: undefined, rest: argv, problems: [] });
  });

  test("--check and -check, text by default; the settings around it stay for readFlags", () => {
    for (const flag of ["--check", "-check"]) {
      const r = split(["-cache-ttl", "30s", flag, "--parallelism=2"]);
      expect(r.command).toEqual({ name: "check", format: "text" });
      expect(r.rest).toEqual(["-cache-ttl", "30s", "--parallelism=2"]);
      expect(r.problems).toEqual([]);
      const problems: string[] = [];
      expect(Object.keys(readFlags(r.rest, problems))).toEqual(["CACHE_TTL", "PARALLELISM"]);
      expect(problems).toEqual([]);
    }
  });

  test("--format json and --format=json, before or after the command", () => {
    expect(split(["--check", "--format", "json"]).command).toEqual({ name: "check", format: "json" });
    expect(split(["--format=json", "--check"]).command).toEqual({ name: "check", format: "json" });
    expect(split(["-format", "text", "-check"]).command).toEqual({ name: "check", format: "text" });
  });

  test("--capture DIR and --capture=DIR", () => {
    expect(split(["--capture", "out/dir"]).command).toEqual({ name: "capture", dir: "out/dir", format: "text" });
    const r = split(["--capture=out dir", "--format=json", "-cache-ttl", "1m"]);
    expect(r.command).toEqual({ name: "capture", dir: "out dir", format: "json" });
    expect(r.rest).toEqual(["-cache-ttl", "1m"]);
    expect(r.problems).toEqual([]);
  });

  test("a setting's value that looks like a command flag is the setting's value", () => {
    const r = split(["-nvidia-api-key", "--check", "--nvidia-org-name", "--format"]);
    expect(r.command).toBeUndefined();
    expect(r.rest).toEqual(["-nvidia-api-key", "--check", "--nvidia-org-name", "--format"]);
    expect(r.problems).toEqual([]);
    const inline = split(["--nvidia-api-key=--check"]);
    expect(inline.command).toBeUndefined();
    expect(inline.rest).toEqual(["--nvidia-api-key=--check"]);
  });

  test("after `--` nothing is a command flag", () => {
    const r = split(["--", "--check", "--format", "json"]);
    expect(r.command).toBeUndefined();
    expect(r.rest).toEqual(["--", "--check", "--format", "json"]);
    expect(r.problems).toEqual([]);
  });

  test("--backup-history FILE and --backup-history=FILE; not with --check, --capture or --format", () => {
    const r = split(["--backup-history", "b.db", "-db-path", "/data/h.db"]);
    expect(r).toEqual({ command: { name: "backup-history", file: "b.db" }, rest: ["-db-path", "/data/h.db"], problems: [] });
    expect(split(["-backup-history=my backup.db"]).command).toEqual({ name: "backup-history", file: "my backup.db" });
    expect(split(["--backup-history"]).problems).toEqual(["--backup-history: needs a value"]);
    expect(split(["--backup-history", "b.db", "--check"]).problems).toEqual([
      "--backup-history: not with --check or --capture (it copies the history; they call CLS)",
    ]);
    expect(split(["--backup-history", "b.db", "--format", "json"]).problems).toEqual(["--format: only with --check or --capture"]);
  });

  test("--migrate-history URL, --migrate-history=URL, or alone (DATABASE_URL is read); not with another command", () => {
    const r = split(["--migrate-history", "postgres://u@h/db", "-db-path", "/data/h.db"]);
    expect(r).toEqual({ command: { name: "migrate-history", url: "postgres://u@h/db" }, rest: ["-db-path", "/data/h.db"], problems: [] });
    expect(split(["-migrate-history=postgresql://h/db"]).command).toEqual({ name: "migrate-history", url: "postgresql://h/db" });
    expect(split(["--migrate-history", "-db-path", "/data/h.db"])).toEqual({
      command: { name: "migrate-history", url: undefined },
      rest: ["-db-path", "/data/h.db"],
      problems: [],
    });
    expect(split(["--migrate-history="]).problems).toEqual(["--migrate-history: an empty URL (leave the value out to read DATABASE_URL)"]);
    expect(split(["--migrate-history", "--backup-history", "b.db"]).problems).toEqual([
      "--migrate-history: not with --check, --capture or --backup-history (choose one command)",
    ]);
  });

  test("--check takes no value", () => {
    expect(split(["--check=yes"]).problems).toEqual(["--check: takes no value"]);
  });

  test("--format and --capture need a value, and a flag is not one", () => {
    expect(split(["--check", "--format"]).problems).toEqual(["--format: needs a value"]);
    expect(split(["--capture"]).problems).toEqual(["--capture: needs a value"]);
    expect(split(["--capture="]).problems).toEqual(["--capture: needs a value"]);
    const r = split(["--capture", "--format", "json"]);
    expect(r.problems).toEqual(["--capture: needs a value", "--format: only with --check or --capture"]);
  });

  test("--format is text or json", () => {
    expect(split(["--check", "--format", "yaml"]).problems).toEqual(["--format: must be text or json"]);
  });

  test("--format without a command is refused", () => {
    const r = split(["--format", "json"]);
    expect(r.command).toBeUndefined();
    expect(r.problems).toEqual(["--format: only with --check or --capture"]);
  });

  test("both commands are refused", () => {
    expect(split(["--check", "--capture", "d"]).problems).toEqual([
      "--check and --capture: choose one (--capture reports what --check does)",
    ]);
  });
});
