import { describe, expect, test } from "bun:test";
import { fileURLToPath } from "node:url";
import { churnInterval } from "../../src/sim/main.ts";
import { firstLine } from "../first-line.ts";

const MAIN = fileURLToPath(new URL("../../src/sim/main.ts", import.meta.url));

describe("sim CLI", () => {
  test("prints its base URL as the only stdout line, serves, exits 0 on SIGTERM", async () => {
    const proc = Bun.spawn(
      [process.execPath, "run", MAIN, "--generate", "2x2x2x3", "--api-key", "k1", "--churn-interval", "50ms", "--org", "cli-org"],
      {
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    try {
      const url = await firstLine(proc.stdout);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const info = (await (await fetch(`${url}/_sim/info`)).json()) as { orgName: string };
      expect(info.orgName).toBe("cli-org");
      const res = await fetch(`${url}/v1/org/cli-org/virtual-groups`, { headers: { "x-api-key": "k1" } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { virtualGroups: unknown[] }).virtualGroups.length).toBe(2);
    } finally {
      proc.kill("SIGTERM");
    }
    expect(await proc.exited).toBe(0);
  });

  test("exits 2 with usage on bad arguments", async () => {
    const proc = Bun.spawn([process.execPath, "run", MAIN, "--generate", "3x3"], { stdout: "pipe", stderr: "pipe" });
    expect(await proc.exited).toBe(2);
    expect(await new Response(proc.stderr).text()).toContain("VxSxFxL");
  });

  test("churn interval takes Go-style durations", () => {
    expect(churnInterval("5s")).toBe(5000);
    expect(churnInterval("250ms")).toBe(250);
    expect(churnInterval("1m30s")).toBe(90_000);
    expect(() => churnInterval("2")).toThrow();
    expect(() => churnInterval("soon")).toThrow();
  });
});
