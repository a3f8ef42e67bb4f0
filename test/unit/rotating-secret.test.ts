import { describe, expect, test } from "bun:test";
import { rotatingSecret } from "../../src/config/secrets.ts";

function setup(initial = "key-1") {
  const file = { text: `${initial}\n`, stamp: "a" as string | Error };
  let now = 0;
  const lines: string[] = [];
  const secret = rotatingSecret({
    name: "NVIDIA_API_KEY",
    path: "/run/secrets/key",
    initial,
    now: () => now,
    everyMs: 1_000,
    fs: {
      read: () => file.text,
      stamp: () => {
        if (file.stamp instanceof Error) throw file.stamp;
        return file.stamp;
      },
    },
    log: { info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`) },
  });
  return { file, secret, lines, advance: (ms: number) => (now += ms) };
}

describe("a secret read from a file that rotates", () => {
  test("a changed file gives the new value at the next look (at most once a second), with the time it was re-read", () => {
    const { file, secret, lines, advance } = setup();
    expect(secret.get()).toBe("key-1");
    Object.assign(file, { text: "key-2", stamp: "b" });
    expect(secret.get()).toBe("key-1"); // looked at 0 ms ago
    advance(1_000);
    expect(secret.get()).toBe("key-2");
    expect(secret.rereadAt()).toBe(1_000);
    expect(lines).toEqual(["info NVIDIA_API_KEY_FILE changed: the new API key is used from now on"]);
  });

  test("an unreadable, empty or unusable file keeps the previous value and says why once per change", () => {
    const { file, secret, lines } = setup();
    file.stamp = Object.assign(new Error("gone"), { code: "ENOENT" });
    expect(secret.recheck()).toBe("kept");
    expect(secret.recheck()).toBe("kept");
    Object.assign(file, { text: "  \n", stamp: "c" });
    expect(secret.recheck()).toBe("kept");
    Object.assign(file, { text: "two words", stamp: "d" });
    expect(secret.recheck()).toBe("kept");
    expect(secret.get()).toBe("key-1");
    expect(secret.rereadAt()).toBeUndefined();
    expect(lines).toEqual([
      "warn NVIDIA_API_KEY_FILE changed but cannot be read (ENOENT); the previous API key is kept",
      "warn NVIDIA_API_KEY_FILE changed but is empty; the previous API key is kept",
      "warn NVIDIA_API_KEY_FILE changed but its content is not printable ASCII without spaces; the previous API key is kept",
    ]);
    expect(lines.join()).not.toContain("/run/secrets");
  });

  test("a touched file with the same content is no rotation", () => {
    const { file, secret, lines } = setup();
    file.stamp = "b";
    expect(secret.recheck()).toBe("unchanged");
    expect(secret.rereadAt()).toBeUndefined();
    expect(lines).toEqual([]);
  });
});
