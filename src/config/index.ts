/** The configuration: every setting, how env and flags become a Config, and the help text. */
export { type DocFormat, renderDoc, settingDoc } from "./doc.ts";
export { cliRequest } from "./flags.ts";
export { authSchemes, type ListenAddress, listenFromEnv, localBaseUrl, localHost, RESERVED_PATHS } from "./listen.ts";
export { type Config, type ConfigSources, loadConfig } from "./load.ts";
export type { OtlpConfig } from "./otlp.ts";
export { OTEL_STANDARD, SETTINGS, type Setting, type StandardSetting } from "./settings.ts";
export { usage } from "./usage.ts";
export { loadWebConfig, type TlsServerConfig, type WebConfig } from "./web-config.ts";
