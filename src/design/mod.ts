/** `mqa/design`: requirements → recommended broker, patterns, topology spec, settings, setup, code, test plan and rollback. */
export { advise, assess, backlogLimitOf, choiceLabel, Capacity } from "./advise.js";
export type { AdviseOptions, Assessment, Choice, Design, DesignLane } from "./advise.js";
export {
  requirementsSchema,
  systemRequirementsSchema,
  parseSize,
  REQUIREMENT_FIELDS,
} from "./requirements.js";
export type { Requirements, RequirementsInput, SystemRequirementsInput } from "./requirements.js";
export { renderDesign, renderSystemDesign, topologyYaml } from "./render.js";
export { adviseSystem } from "./system.js";
export type { AdviseSystemOptions, BrokerLoad, SystemDesign } from "./system.js";
export { PatternThresholds, lanesOf, needsClaimCheck, brokerMessageSize } from "./patterns.js";
export type { Pattern, PatternId, Lane } from "./patterns.js";
export { assumptionsOf, type Assumption } from "./assumptions.js";
export { compareBrokers, renderComparison } from "./compare.js";
export type { Comparison, ComparisonRow } from "./compare.js";
export { askRequirements } from "./interactive.js";
export { rabbitSetup, redisSetup, type Setup } from "./setup.js";
export { codeFor, type DesignCode } from "./code.js";
