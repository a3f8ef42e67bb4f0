/** Public surface of the CLS simulator (tests, demo, benchmarks import from here). */
export { startSimulator, type Simulator, type SimulatorOptions } from './server.ts';
export { loadScenario, loadScenarioDir, decodeCompressed, type ScenarioName } from './fixtures.ts';
export { generateOrg, type GenerateOptions } from './generate.ts';
export { addTrickyData, ALL_TRICKY, type TrickyOptions } from './tricky.ts';
export { tick, type TickResult } from './churn.ts';
export { expected } from './expected.ts';
export type {
  Expected,
  ExpectedCalls,
  ExpectedEntitlementFeature,
  ExpectedPoolFeature,
  ExpectedServerFeature,
  ExpectedUnattributed,
} from './expected.ts';
export { ENDPOINTS, faultRuleSchema, type Endpoint, type FaultRule, type FaultRuleInput } from './faults.ts';
export type { RequestLogEntry, SimStats } from './stats.ts';
export type { SimModel } from './model.ts';
export { mulberry32, type Rng } from './random.ts';
