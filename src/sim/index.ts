/** Public surface of the CLS simulator (tests, demo, benchmarks import from here). */

export { type TickResult, tick } from "./churn.ts";
export type {
  Expected,
  ExpectedCalls,
  ExpectedEntitlementFeature,
  ExpectedPoolFeature,
  ExpectedServerFeature,
  ExpectedUnattributed,
} from "./expected.ts";
export { expected } from "./expected.ts";
export { type ExpectedDemand, expectedDemand } from "./expected-demand.ts";
export { type FaultRule, type FaultRuleInput, faultRuleSchema, SIM_ENDPOINTS, type SimEndpoint } from "./faults.ts";
export { decodeCompressed, loadScenario, loadScenarioDir, type ScenarioName } from "./fixtures.ts";
export { type GenerateOptions, generateOrg } from "./generate.ts";
export type { SimModel } from "./model.ts";
export { mulberry32, type Rng } from "./random.ts";
export { type Simulator, type SimulatorOptions, startSimulator } from "./server.ts";
export type { RequestLogEntry, SimStats } from "./stats.ts";
export { ALL_TRICKY, addTrickyData, type TrickyOptions } from "./tricky.ts";
