/** The configuration: every setting, how env and flags become a Config, and the help text. */
export { renderDoc, settingDoc } from "./doc.ts";
export { type Command, cliRequest, splitCommand } from "./flags.ts";
export { authSchemes, listenFromEnv, localBaseUrl, localHost, RESERVED_PATHS } from "./listen.ts";
export { type Config, type ConfigSources, loadConfig, loadDbPath } from "./load.ts";
export type { OtlpConfig } from "./otlp.ts";
export { describeProxy, type ProxyChoice } from "./proxy.ts";
export { OTEL_STANDARD, SETTINGS } from "./settings.ts";
export type { ClsTransport } from "./transport.ts";
export { usage } from "./usage.ts";
export { loadWebConfig } from "./web-config.ts";
