/**
 * The topology spec's model: schema, parsing and validation, durations and retry schedules. Pure data, no
 * broker client: `mqa topology` expands and applies a spec, and the transports take their declarations from
 * the same spec (`topology` option), so what the tool applies is what the runtime runs.
 */
export {
  loadSpecFile,
  parseSpecText,
  validateSpec,
  formatFromName,
  type SpecFormat,
  type SpecReadOptions,
} from "./parse.js";
export { DEFAULT_MAX_SPEC_BYTES, MAX_SPEC_BYTES_ENV, maxSpecBytes } from "./size-limit.js";
export { topologySpec, type TopologySpec, type RabbitSpec, type RedisSpec } from "./schema/spec.js";
export { InvalidSpecError, type SpecIssue } from "./errors.js";
export { retryDelaysMs, type RetrySpec } from "./retry-schedule.js";
export { durationMs, formatDuration, type Duration } from "./duration.js";
export {
  defineTopology,
  type DefinedTopology,
  type SpecNames,
  type SpecTopic,
  type TopologySpecInput,
} from "./define.js";
export { rabbitGroups, type ResolvedRabbitGroup } from "./rabbit-groups.js";
