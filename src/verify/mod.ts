/** Delivery-guarantee verification under faults: `runVerify` and its report formats. */
export { runVerify, type VerifyReport, type VerifyProgress, type InjectedFault } from "./run.js";
export { resolveVerifyOptions, type VerifyOptions, type ResolvedVerifyOptions } from "./options.js";
export { FAULT_KINDS, planFaults, type FaultKind, type FaultPlan, type PlannedFault } from "./fault-plan.js";
export { formatVerifyMarkdown, formatVerifyText } from "./report.js";
export { seededRandom, type Random } from "./prng.js";
