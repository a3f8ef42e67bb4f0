import { main } from "./start.ts";

/** The git revision a compiled binary was built from, set by scripts/build.ts (`bun build --define`); not defined when run from source. */
declare const BUILD_REVISION: string | undefined;

/** `bun run src/index.ts`: the exporter, configured by its environment and flags (README "Configuration"), or one of its commands (--check, --capture). */
await main({
  name: "nvidia-license-server-exporter",
  env: process.env,
  argv: process.argv.slice(2),
  // A binary reports the revision it was built from; from source, GIT_REVISION (the Dockerfile sets it).
  revision: (typeof BUILD_REVISION === "string" && BUILD_REVISION) || process.env.GIT_REVISION || "unknown",
});
