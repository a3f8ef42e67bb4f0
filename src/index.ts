import { main } from "./start.ts";

/** `bun run src/index.ts`: the exporter, configured by its environment and flags (README "Configuration"), or one of its commands (--check, --capture). */
await main({
  name: "nvidia-license-server-exporter",
  env: process.env,
  argv: process.argv.slice(2),
  revision: process.env.GIT_REVISION || "unknown",
});
