/**
 * The image starts every process through deploy/docker/entrypoint.sh (test/deploy/entrypoint.test.ts
 * runs it): nothing the image or Railway starts may bypass it and run the exporter as root.
 */
import { expect, test } from "bun:test";
import { DOCKERFILE, imageUser } from "./entrypoint-harness.ts";

const root = new URL("../../", import.meta.url);
const dockerfile = await Bun.file(DOCKERFILE).text();
/** The final stage: what the image runs. */
const final = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));

const jsonArg = (instruction: string): string[] => {
  const m = new RegExp(`^${instruction}\\s+(\\[.*\\])\\s*$`, "m").exec(final.replace(/\\\n\s*/g, ""));
  if (!m) throw new Error(`Dockerfile: no ${instruction} in exec form`);
  return JSON.parse(m[1]!);
};

test("the entrypoint script is installed where ENTRYPOINT and HEALTHCHECK start it", () => {
  const installed = /^COPY deploy\/docker\/entrypoint\.sh (\S+)$/m.exec(final)?.[1];
  expect(installed).toBeDefined();
  expect(jsonArg("ENTRYPOINT")).toEqual([installed!, "bun", "run", "src/index.ts"]);
  // --no-prepare: the check, every 30 s beside the running exporter, changes no owner.
  expect(jsonArg("HEALTHCHECK .*CMD")).toEqual([installed!, "--no-prepare", "bun", "run", "src/healthcheck.ts"]);
  expect(final).toContain(`chmod 0755 ${installed}`);
});

test("the image starts as root so the entrypoint can prepare the volume, and checks its user's ids at build", async () => {
  const users = [...final.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
  expect(users.at(-1)).toBe("root");
  const { uid, gid } = await imageUser();
  expect(uid).toBeGreaterThan(0);
  expect(gid).toBeGreaterThan(0);
  expect(final).toContain('[ "$(id -u bun):$(id -g bun)" = "$EXPORTER_UID:$EXPORTER_GID" ]');
});

test("Railway starts the image's ENTRYPOINT: railway.json sets no start command, which would replace it", async () => {
  const railway = await Bun.file(new URL("railway.json", root)).json();
  expect(railway.build.builder).toBe("DOCKERFILE");
  expect(railway.deploy.startCommand).toBeUndefined();
});

test("the build context holds the entrypoint", async () => {
  const ignored = (await Bun.file(new URL(".dockerignore", root)).text()).split("\n").map((l) => l.trim());
  for (const p of ["deploy", "deploy/docker", "deploy/docker/entrypoint.sh", "deploy/**", "*.sh"]) expect(ignored).not.toContain(p);
});
